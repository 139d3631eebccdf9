# uptop - terminal live monitor for HTTP(S) endpoints.
#
#   make          build ./uptop
#   make run      install missing build deps, build, open uptop on config.example.yaml
#   make check    install missing deps, build, run every test ("N passed, N failed")
#   make check-asan / check-valgrind / fuzz / bench / demo   (see README)

VERSION := 0.1.0
PKGS    := ncursesw libcurl yaml-0.1 libcares

CC      ?= cc
B       ?= build
WERROR  ?= 0
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wwrite-strings
ifeq ($(WERROR),1)
WARN    += -Werror
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS := $(WARN) $(CFLAGS) -D_GNU_SOURCE -DUPTOP_VERSION='"$(VERSION)"' \
              -Iinclude $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm

SRCS     := $(wildcard src/*.c)
OBJS     := $(SRCS:%.c=$(B)/%.o)
LIB_OBJS := $(filter-out $(B)/src/main.o,$(OBJS))
TESTS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps run check unit-tests clean demo check-asan check-valgrind fuzz bench

all: uptop

uptop: $(B)/uptop
	@cp $< $@

$(B)/uptop: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(B)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS) tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

unit-tests: $(TESTS)

deps:
	scripts/deps.sh install

run:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory all
	./uptop -c config.example.yaml

check:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory all unit-tests
	@B=$(B) tests/run.sh

clean:
	rm -rf build build-* uptop

-include $(OBJS:.o=.d)
