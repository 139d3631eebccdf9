# uptop - terminal live monitor for HTTP(S) endpoints.
#
#   make          build ./uptop
#   make run      install missing build deps, build, open uptop on config.example.yaml
#   make check    install missing deps, build, run every test ("N passed, N failed")
#   make check-asan / check-valgrind / fuzz / bench / demo   (see README)

VERSION := 0.1.0

# make install: where things go (DESTDIR is prepended, PREFIX is compiled
# in: uptop finds its themes in $(DATADIR)/themes).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/uptop
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/uptop
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
PKGS    := ncursesw libcurl openssl yaml-0.1 libcares json-c libmicrohttpd sqlite3

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
# -iquote: our headers are "..." only, so include/sched.h never stands in for
# the system's <sched.h> (OpenSSL's headers reach it through <pthread.h>).
ALL_CFLAGS := $(WARN) $(CFLAGS) -D_GNU_SOURCE -DUPTOP_VERSION='"$(VERSION)"' \
              -DUPTOP_DATADIR='"$(DATADIR)"' \
              -iquote include $(PKG_CFLAGS) -pthread $(EXTRA_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm -pthread

# The flags are part of the build's identity: when they change (WERROR=1,
# CFLAGS, sanitizers), $(B)/.flags changes and every object is rebuilt.
FLAGS_ID   := $(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LDLIBS)
FLAGS_FILE := $(B)/.flags
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_ID))
$(shell mkdir -p $(B))
$(file >$(FLAGS_FILE),$(FLAGS_ID))
endif

SRCS     := $(wildcard src/*.c)
OBJS     := $(SRCS:%.c=$(B)/%.o)
LIB_OBJS := $(filter-out $(B)/src/main.o,$(OBJS))
TESTS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps run check unit-tests clean demo check-asan check-valgrind fuzz bench \
        install uninstall

all: uptop

uptop: $(B)/uptop
	@cp $< $@.tmp && mv -f $@.tmp $@

$(B)/uptop: $(OBJS) $(FLAGS_FILE)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(B)/src/%.o: src/%.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h) $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

unit-tests: $(TESTS)

deps:
	scripts/deps.sh install

run:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory all
	./uptop -c config.example.yaml $(RUN_ARGS)

check:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory all unit-tests
	@B=$(B) tests/run.sh

# Sanitizers: ASan + UBSan over the whole suite, halting on the first error.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
check-asan:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory B=build-asan CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="$(SAN_FLAGS)" build-asan/uptop unit-tests
	@ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0 \
	 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 UPTOP_SANITIZED=1 \
	 B=build-asan tests/run.sh

# valgrind: the unit tests and a --once run, 0 bytes definitely lost, 0 errors.
check-valgrind:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory all unit-tests
	@B=$(B) tests/valgrind.sh

# libFuzzer on the config loader (clang). FUZZ_SECONDS bounds the run.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(wildcard src/config*.c) src/cond.c src/result.c src/cond_json.c src/golike.c src/yamldoc.c src/theme.c src/diag.c src/util.c
fuzz: build-fuzz/fuzz_config
	@mkdir -p build-fuzz/corpus
	build-fuzz/fuzz_config -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -dict=tests/fuzz/config.dict \
		build-fuzz/corpus tests/fuzz/corpus/config

build-fuzz/fuzz_config: tests/fuzz/fuzz_config.c $(FUZZ_SRCS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		-DUPTOP_VERSION='"$(VERSION)"' -Iinclude $(shell pkg-config --cflags yaml-0.1 json-c) \
		-o $@ $^ $(shell pkg-config --libs yaml-0.1 json-c) -lm

# A lively loopback demo: the fixture server and a mix of targets.
demo:
	@scripts/deps.sh ensure
	@$(MAKE) --no-print-directory all
	@tests/demo.sh

-include bench/Makefile.inc

# The files make install puts in place, each "source destination".
INSTALLS := $(B)/uptop:$(BINDIR)/uptop:755 \
            uptop.1:$(MANDIR)/man1/uptop.1:644 \
            uptop.yaml.5:$(MANDIR)/man5/uptop.yaml.5:644 \
            $(foreach t,$(wildcard themes/*.yaml),$(t):$(DATADIR)/$(t):644) \
            config.example.yaml:$(DOCDIR)/config.example.yaml:644 \
            README.md:$(DOCDIR)/README.md:644 \
            LICENSE:$(DOCDIR)/LICENSE:644 \
            completions/uptop.bash:$(BASHCOMPDIR)/uptop:644 \
            completions/_uptop:$(ZSHCOMPDIR)/_uptop:644

install: $(B)/uptop
	@set -e; for f in $(INSTALLS); do \
		src=$${f%%:*}; rest=$${f#*:}; dst=$(DESTDIR)$${rest%:*}; mode=$${rest##*:}; \
		echo "install $$src $$dst"; \
		install -d "$$(dirname "$$dst")"; \
		install -m "$$mode" "$$src" "$$dst"; \
	done

# Removes what install put in place, and uptop's own directories once
# empty; shared ones (bin, man1, ...) stay.
uninstall:
	@for f in $(INSTALLS); do \
		rest=$${f#*:}; dst=$(DESTDIR)$${rest%:*}; \
		[ -e "$$dst" ] && echo "rm $$dst"; rm -f "$$dst"; \
	done; \
	for d in $(DATADIR)/themes $(DATADIR) $(DOCDIR); do \
		[ -d "$(DESTDIR)$$d" ] && rmdir "$(DESTDIR)$$d" 2>/dev/null || true; \
	done

clean:
	rm -rf build build-* uptop

-include $(OBJS:.o=.d)
