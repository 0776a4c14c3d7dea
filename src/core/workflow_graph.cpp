// flow: cycle search of a workflow's graph; see workflow_graph.hpp.
#include "core/workflow_graph.hpp"

#include <cstddef>
#include <unordered_map>

namespace pg_jobs {

namespace {

enum class Mark { Unvisited, OnPath, Done };

// A step being walked: its index and the next of its edges to follow.
struct Frame {
    std::size_t step;
    std::size_t next_edge;
};

}  // namespace

std::vector<std::string> find_workflow_cycle(const std::vector<std::string>& steps,
                                             const std::vector<WorkflowEdge>& edges) {
    std::unordered_map<std::string, std::size_t> index;
    index.reserve(steps.size());
    for (std::size_t i = 0; i < steps.size(); ++i) {
        index.emplace(steps[i], i);  // a name listed twice keeps its first place
    }
    std::vector<std::vector<std::size_t>> downstream(steps.size());
    for (const WorkflowEdge& edge : edges) {
        const auto from = index.find(edge.first);
        const auto to = index.find(edge.second);
        if (from != index.end() && to != index.end()) {
            downstream[from->second].push_back(to->second);
        }
    }
    std::vector<Mark> marks(steps.size(), Mark::Unvisited);
    std::vector<Frame> path;
    for (std::size_t root = 0; root < steps.size(); ++root) {
        if (marks[root] != Mark::Unvisited) {
            continue;
        }
        marks[root] = Mark::OnPath;
        path.push_back(Frame{root, 0});
        while (!path.empty()) {
            Frame& top = path.back();
            if (top.next_edge == downstream[top.step].size()) {
                marks[top.step] = Mark::Done;
                path.pop_back();
                continue;
            }
            const std::size_t next = downstream[top.step][top.next_edge++];
            if (marks[next] == Mark::OnPath) {
                // The cycle: from `next` on the path to the top, back to `next`.
                std::vector<std::string> cycle;
                bool in_cycle = false;
                for (const Frame& frame : path) {
                    in_cycle = in_cycle || frame.step == next;
                    if (in_cycle) {
                        cycle.push_back(steps[frame.step]);
                    }
                }
                cycle.push_back(steps[next]);
                return cycle;
            }
            if (marks[next] == Mark::Unvisited) {
                marks[next] = Mark::OnPath;
                path.push_back(Frame{next, 0});
            }
        }
    }
    return {};
}

std::string cycle_text(const std::vector<std::string>& cycle) {
    std::string text;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
        if (i > 0) {
            text += " -> ";
        }
        text += cycle[i];
    }
    return text;
}

}  // namespace pg_jobs
