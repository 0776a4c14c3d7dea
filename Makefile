# pg_jobs: PGXS build of the extension, plus the developer entry points.
#
#   make && make install     build and install the extension (PGXS)
#   make demo / demo-stop    throwaway cluster with pg_jobs preloaded
#   make test                every test suite (unit, regress, pgTAP, fuzz, integration)
#   make format              clang-format the C++ sources

EXTENSION  = pg_jobs
MODULE_big = pg_jobs
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" pg_jobs.control)

CORE_SRCS = $(sort $(wildcard src/core/*.cpp))
PG_SRCS   = $(sort $(wildcard src/pg/*/*.cpp))
HTTP_SRCS = $(sort $(wildcard src/http/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o) $(HTTP_SRCS:.cpp=.o)

# libcurl (libcurl4-openssl-dev) for HTTP jobs.
CURL_LIBS := $(or $(shell curl-config --libs 2>/dev/null),-lcurl)

# Install and upgrade scripts live in extension/, named as PostgreSQL expects.
DATA = $(wildcard extension/pg_jobs--*.sql)

# pg_regress suite: sql/<name>.sql compared with expected/<name>.out.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=pg_jobs

PG_CONFIG ?= pg_config

PG_CPPFLAGS = -Isrc -DPG_JOBS_VERSION=\"$(EXTVERSION)\"
PG_CXXFLAGS = -std=c++17 -Werror -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -fvisibility=hidden
SHLIB_LINK  = -lstdc++ $(CURL_LIBS)

# No LLVM bitcode for JIT inlining: it would need clang to rebuild every C++ file.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Header dependencies: rebuild what includes an edited header.
override CXXFLAGS += -MMD -MP
-include $(OBJS:.o=.d)
EXTRA_CLEAN = $(OBJS:.o=.d) build build-asan results regression.diffs regression.out

.PHONY: demo demo-stop test format deps

deps:
	scripts/install-deps.sh

demo:
	scripts/demo.sh start

demo-stop:
	scripts/demo.sh stop

test:
	scripts/run-tests.sh

format:
	clang-format -i $(CORE_SRCS) $(PG_SRCS) $(HTTP_SRCS) $(wildcard src/*/*.hpp src/pg/*/*.hpp src/*/*.h test/*/*.cpp)

# --- pg_jobs_web: the admin dashboard (src/web; libpq + cpp-httplib) ---------
# Built by `make`, installed by `make install` into PostgreSQL's bindir, with
# the page's files in $(datadir)/pg_jobs_web.
WEB_SRCS     = $(sort $(wildcard src/web/*.cpp))
WEB_OBJS     = $(WEB_SRCS:.cpp=.web.o)
WEB_BIN      = src/web/pg_jobs_web
WEB_ASSETS   = $(sort $(wildcard src/web/assets/*))
WEB_CXXFLAGS = -std=c++17 -O2 -g -Wall -Wextra -Werror -pthread -Isrc -I$(includedir) \
               $(shell pkg-config --cflags cpp-httplib 2>/dev/null) \
               -DPG_JOBS_WEB_ASSETS=\"$(datadir)/pg_jobs_web\"
WEB_LIBS     = -L$(libdir) -lpq $(or $(shell pkg-config --libs cpp-httplib 2>/dev/null),-lcpp-httplib) -lssl -lcrypto -pthread

all: $(WEB_BIN)

src/web/%.web.o: src/web/%.cpp $(wildcard src/web/*.hpp)
	$(CXX) $(WEB_CXXFLAGS) -c -o $@ $<

$(WEB_BIN): $(WEB_OBJS)
	$(CXX) -o $@ $(WEB_OBJS) $(WEB_LIBS)

install: install-web
install-web: $(WEB_BIN)
	$(MKDIR_P) '$(DESTDIR)$(bindir)' '$(DESTDIR)$(datadir)/pg_jobs_web'
	$(INSTALL_PROGRAM) $(WEB_BIN) '$(DESTDIR)$(bindir)/pg_jobs_web'
	$(INSTALL_DATA) $(WEB_ASSETS) '$(DESTDIR)$(datadir)/pg_jobs_web/'

uninstall: uninstall-web
uninstall-web:
	rm -f '$(DESTDIR)$(bindir)/pg_jobs_web'
	rm -rf '$(DESTDIR)$(datadir)/pg_jobs_web'

EXTRA_CLEAN += $(WEB_BIN) $(WEB_OBJS)
.PHONY: install-web uninstall-web
