// flow: find_workflow_cycle, the cycle jobs.schedule_workflow names in its
// error (issue 15).
#include "core/workflow_graph.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pg_jobs {
namespace {

using Steps = std::vector<std::string>;
using Edges = std::vector<WorkflowEdge>;

TEST(WorkflowGraph, NoEdgesHasNoCycle) {
    EXPECT_TRUE(find_workflow_cycle({"a", "b", "c"}, {}).empty());
    EXPECT_TRUE(find_workflow_cycle({}, {}).empty());
}

TEST(WorkflowGraph, ChainFanOutAndFanInHaveNoCycle) {
    EXPECT_TRUE(find_workflow_cycle({"extract", "transform", "report"},
                                    {{"extract", "transform"}, {"transform", "report"}})
                    .empty());
    // A diamond: d waits for b and c, which both wait for a.
    EXPECT_TRUE(
        find_workflow_cycle({"a", "b", "c", "d"}, {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}}).empty());
}

TEST(WorkflowGraph, TwoStepCycleIsNamedFromTheFirstStep) {
    const Steps cycle =
        find_workflow_cycle({"extract", "transform"}, {{"transform", "extract"}, {"extract", "transform"}});
    EXPECT_EQ(cycle, (Steps{"extract", "transform", "extract"}));
    EXPECT_EQ(cycle_text(cycle), "extract -> transform -> extract");
}

TEST(WorkflowGraph, StepAfterItselfIsACycleOfOne) {
    EXPECT_EQ(cycle_text(find_workflow_cycle({"a", "b"}, {{"a", "b"}, {"b", "b"}})), "b -> b");
}

TEST(WorkflowGraph, CycleBehindAnAcyclicPartNamesOnlyTheCycle) {
    // a -> b -> c -> d -> b: the path from a leads into the cycle b c d.
    const Steps cycle =
        find_workflow_cycle({"a", "b", "c", "d"}, {{"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "b"}});
    EXPECT_EQ(cycle_text(cycle), "b -> c -> d -> b");
}

TEST(WorkflowGraph, DiamondsSeenTwiceAreNotCycles) {
    // Many paths into the same steps: each is walked once (Done), no false cycle.
    Steps steps;
    Edges edges;
    for (int layer = 0; layer < 50; ++layer) {
        const std::string top = "t" + std::to_string(layer);
        const std::string left = "l" + std::to_string(layer);
        const std::string right = "r" + std::to_string(layer);
        steps.insert(steps.end(), {top, left, right});
        edges.push_back({top, left});
        edges.push_back({top, right});
        if (layer > 0) {
            edges.push_back({"l" + std::to_string(layer - 1), top});
            edges.push_back({"r" + std::to_string(layer - 1), top});
        }
    }
    EXPECT_TRUE(find_workflow_cycle(steps, edges).empty());
    edges.push_back({"l49", "t0"});
    EXPECT_EQ(find_workflow_cycle(steps, edges).front(), "t0");
    EXPECT_EQ(find_workflow_cycle(steps, edges).back(), "t0");
}

TEST(WorkflowGraph, LongChainNeedsNoRecursion) {
    Steps steps;
    Edges edges;
    for (int i = 0; i < 100000; ++i) {
        steps.push_back("s" + std::to_string(i));
        if (i > 0) {
            edges.push_back({steps[i - 1], steps[i]});
        }
    }
    EXPECT_TRUE(find_workflow_cycle(steps, edges).empty());
    edges.push_back({steps.back(), steps.front()});
    EXPECT_EQ(find_workflow_cycle(steps, edges).size(), steps.size() + 1);
}

TEST(WorkflowGraph, EdgesNamingNoStepAreIgnored) {
    EXPECT_TRUE(find_workflow_cycle({"a"}, {{"a", "ghost"}, {"ghost", "a"}}).empty());
}

TEST(WorkflowGraph, SameDefinitionSameCycle) {
    const Steps steps{"a", "b", "c", "d"};
    const Edges edges{{"c", "d"}, {"d", "c"}, {"a", "b"}, {"b", "a"}};
    EXPECT_EQ(cycle_text(find_workflow_cycle(steps, edges)), "a -> b -> a");
    EXPECT_EQ(cycle_text(find_workflow_cycle(steps, edges)), "a -> b -> a");
}

}  // namespace
}  // namespace pg_jobs
