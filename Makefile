# Makefile: builds vaultd and vaultctl, runs the tests, the demo and the benchmark.
#   make                     build/vaultd, build/vaultctl, build/gencitizens
#   make test                unit, end-to-end and browser tests (installs missing Debian packages)
#   make portal              the web portal as vaultd serves it (--portal build/portal)
#   make SANITIZER=address test   the same under ASan + UBSan (clang), in build/address
#   make run                 a demo vault with a small data set, served on 127.0.0.1:8443
#   make bench               the benchmark (BENCH_CITIZENS=N for a small run)
#   make fuzz                every libFuzzer target for FUZZ_SECONDS each (default 60), clang
#   make valgrind            the unit and end-to-end suites under valgrind memcheck
#   make install PREFIX=...  installs the two programs

PREFIX ?= /usr/local
SANITIZER ?=
V ?= 0
Q = $(if $(filter 1,$(V)),,@)

ifeq ($(SANITIZER),)
BUILD ?= build
OPT ?= -O2 -D_FORTIFY_SOURCE=2
else ifeq ($(SANITIZER),address)
BUILD ?= build/address
CC = clang
OPT ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_LDFLAGS = -fsanitize=address,undefined
else ifeq ($(SANITIZER),fuzzer)
BUILD ?= build/fuzzer
CC = clang
OPT ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined
SAN_LDFLAGS = -fsanitize=address,undefined
else
$(error SANITIZER must be empty, 'address' or 'fuzzer')
endif

# Debian package that ships each pkg-config module, for the error message.
PKG_sodium = libsodium-dev
PKG_sqlcipher = libsqlcipher-dev
PKG_libmicrohttpd = libmicrohttpd-dev
PKG_jansson = libjansson-dev
PKG_liboath = liboath-dev
PKG_cmocka = libcmocka-dev
PKG_libcurl = libcurl4-openssl-dev
MODULES = libsodium sqlcipher libmicrohttpd jansson liboath
TEST_MODULES = cmocka libcurl

# Recursive (=) so that pkg-config runs when a recipe needs it, after deps are checked.
PKG_CFLAGS = $(shell pkg-config --cflags $(MODULES))
PKG_LIBS = $(shell pkg-config --libs $(MODULES))
TEST_LIBS = $(shell pkg-config --libs $(TEST_MODULES))

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
HARDEN = -fstack-protector-strong -fPIE -fstack-clash-protection
CFLAGS ?=
CPPFLAGS += -D_GNU_SOURCE -DSQLITE_HAS_CODEC
ALL_CFLAGS = -std=c17 $(OPT) $(WARN) $(HARDEN) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN_LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread

LIB_SRC = $(wildcard util/*.c keys/*.c vault/*.c policy/*.c audit/*.c auth/*.c api/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/catalog_default.o
TEST_SRC = $(wildcard tests/unit/test_*.c)
E2E_SRC = $(wildcard tests/e2e/test_*.c)
CRASH_SRC = $(wildcard tests/crash/test_*.c)
TEST_BIN = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%) $(E2E_SRC:tests/e2e/%.c=$(BUILD)/tests/e2e_%) \
	$(CRASH_SRC:tests/crash/%.c=$(BUILD)/tests/crash_%)
E2E_SUPPORT = $(BUILD)/obj/tests/e2e/harness.o
TEST_SUPPORT = $(BUILD)/obj/tests/unit/support.o

.PHONY: all test check-deps deps run bench install clean fuzz fuzz-targets valgrind portal browser-test FORCE
.SECONDARY:
all: check-deps $(BUILD)/vaultd $(BUILD)/vaultctl $(BUILD)/gencitizens

# Fails early, naming the Debian package, when a library is missing.
check-deps:
	@missing=""; for m in $(MODULES) $(if $(filter test,$(MAKECMDGOALS)),$(TEST_MODULES)); do \
	  pkg-config --exists $$m || missing="$$missing $$m"; done; \
	if [ -n "$$missing" ]; then \
	  for m in $$missing; do case $$m in \
	    libsodium) p=$(PKG_sodium);; sqlcipher) p=$(PKG_sqlcipher);; libmicrohttpd) p=$(PKG_libmicrohttpd);; \
	    jansson) p=$(PKG_jansson);; liboath) p=$(PKG_liboath);; cmocka) p=$(PKG_cmocka);; libcurl) p=$(PKG_libcurl);; \
	    *) p=$$m;; esac; echo "missing library $$m: install the Debian package $$p (or run scripts/deps.sh)" >&2; done; \
	  exit 1; fi
	@if [ -n "$(SANITIZER)" ] && ! command -v clang >/dev/null; then \
	  echo "SANITIZER=$(SANITIZER) needs clang: apt-get install clang libclang-rt-14-dev (or scripts/deps.sh sanitizer)" >&2; exit 1; fi

deps:
	@scripts/deps.sh $(if $(SANITIZER),sanitizer)

$(BUILD)/obj/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# The default catalog, embedded so that a vault needs no file beside the binary.
$(BUILD)/gen/catalog_default.c: vault/catalog.json
	@mkdir -p $(dir $@)
	@{ echo '/* generated from vault/catalog.json by the Makefile: do not edit */'; \
	   echo 'extern const char vault_default_catalog[];'; \
	   echo 'const char vault_default_catalog[] = {'; \
	   od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '0x00};'; } > $@

$(BUILD)/obj/gen/catalog_default.o: $(BUILD)/gen/catalog_default.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The library is linked whole: a module registers its schema with the vault from a constructor
# (audit/sqlite_schema.c), which an archive link leaves out of a program calling none of it.
LINK_LIB = $(filter-out %.a,$^) -Wl,--whole-archive $(BUILD)/libvaultd.a -Wl,--no-whole-archive

# The library's object list, rewritten only when it changes (a source added, moved or removed),
# so that the archive is remade then too, even when no object is newer than it.
$(BUILD)/libvaultd.objs: FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIB_OBJ)' | cmp -s - $@ || echo '$(LIB_OBJ)' > $@

# Made afresh: ar would keep the object of a source file since removed, and a whole link takes it.
$(BUILD)/libvaultd.a: $(LIB_OBJ) $(BUILD)/libvaultd.objs
	$(Q)rm -f $@ && $(AR) rcs $@ $(LIB_OBJ)

$(BUILD)/vaultd: $(BUILD)/obj/cmd/vaultd.o $(BUILD)/libvaultd.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LINK_LIB) $(LIBS) -o $@

# vaultctl: its dispatcher (cmd/vaultctl.c) and one file per family of commands (cmd/ctl_*.c).
CTL_OBJ = $(patsubst %.c,$(BUILD)/obj/%.o,cmd/vaultctl.c $(wildcard cmd/ctl_*.c))

$(BUILD)/vaultctl: $(CTL_OBJ) $(BUILD)/libvaultd.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LINK_LIB) $(LIBS) -o $@

$(BUILD)/gencitizens: bench/gencitizens.c | check-deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) -std=c17 $(OPT) $(WARN) $(HARDEN) $(LDFLAGS) $< -o $@

$(BUILD)/tests/e2e_%: $(BUILD)/obj/tests/e2e/%.o $(E2E_SUPPORT) $(TEST_SUPPORT) $(BUILD)/libvaultd.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LINK_LIB) $(LIBS) $(TEST_LIBS) -o $@

$(BUILD)/tests/crash_%: $(BUILD)/obj/tests/crash/%.o $(E2E_SUPPORT) $(TEST_SUPPORT) $(BUILD)/libvaultd.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LINK_LIB) $(LIBS) $(TEST_LIBS) -o $@

# The reports of vaultctl ropa and dpia live beside vaultctl, not in the library.
$(BUILD)/tests/test_reports: $(BUILD)/obj/cmd/ctl_reports.o $(BUILD)/obj/cmd/ctl_report_model.o
# So do the set of national IDs an import has seen.
$(BUILD)/tests/test_import_seen: $(BUILD)/obj/cmd/ctl_import_seen.o

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT) $(BUILD)/libvaultd.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LINK_LIB) $(LIBS) $(TEST_LIBS) -o $@

# tests/exports.sh checks the library's objects (not the generated catalog: it has no folder).
EXPORT_OBJ = $(filter-out $(BUILD)/obj/gen/%,$(LIB_OBJ))

# The C suites first, whatever the browser suite does; then the browser suite; either failing fails.
test: deps
	@$(MAKE) --no-print-directory all $(TEST_BIN) $(BUILD)/gencitizens
	@BUILD=$(BUILD) CC="$(CC)" EXPORT_OBJ="$(EXPORT_OBJ)" tests/run.sh tests/exports.sh $(TEST_BIN); c=$$?; \
	  $(MAKE) --no-print-directory browser-test; b=$$?; [ $$c -eq 0 ] && [ $$b -eq 0 ]

# The portal as vaultd serves it: portal/ as it is, and in vendor/ the few files the browser
# needs from the npm packages pinned in package-lock.json. A plain copy, made afresh.
PORTAL_VENDOR = node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css

portal:
	@scripts/deps.sh portal
	@rm -rf $(BUILD)/portal
	@mkdir -p $(BUILD)/portal/vendor
	@cp -R portal/. $(BUILD)/portal/
	@cp $(PORTAL_VENDOR) $(BUILD)/portal/vendor/

# tests/browser: chromium, headless, against a real vaultd serving $(BUILD)/portal (screenshots in $(BUILD)/browser).
browser-test: all portal
	@scripts/deps.sh browser
	@BUILD=$(BUILD) node tests/browser/run.mjs

# Unit suites run under memcheck themselves; the end-to-end suites run vaultd under it
# (E2E_VALGRIND), and fail on any error or leak it reports.
valgrind: deps
	@command -v valgrind >/dev/null || { echo "make valgrind needs valgrind: apt-get install valgrind" >&2; exit 1; }
	@$(MAKE) --no-print-directory all $(TEST_BIN) $(BUILD)/gencitizens
	@BUILD=$(BUILD) E2E_VALGRIND=1 VALGRIND="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
	  tests/run.sh $(filter-out %/crash_test_crash,$(TEST_BIN))

run: deps
	@$(MAKE) --no-print-directory all $(BUILD)/gencitizens portal
	@scripts/deps.sh demo
	@BUILD=$(BUILD) scripts/demo.sh

# The benchmark's set-up and consent churn, linked with the library like the tests.
$(BUILD)/benchsetup: $(BUILD)/obj/bench/benchsetup.o $(BUILD)/libvaultd.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(LINK_LIB) $(LIBS) -o $@

bench:
	@scripts/deps.sh bench $(if $(BENCH_PEER),peer)
	@$(MAKE) --no-print-directory all $(BUILD)/gencitizens $(BUILD)/benchsetup
	@BUILD=$(BUILD) BENCH_CITIZENS=$(BENCH_CITIZENS) BENCH_PEER=$(BENCH_PEER) BENCH_CHURN_CLIENTS=$(BENCH_CHURN_CLIENTS) bench/run.sh

FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(BUILD)/libvaultd.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) $(LINK_LIB) $(LIBS) -o $@

fuzz-targets: $(FUZZ_BIN)

fuzz:
	@scripts/deps.sh sanitizer
	@$(MAKE) --no-print-directory SANITIZER=fuzzer fuzz-targets
	@tests/fuzz/run.sh $(FUZZ_SECONDS) build/fuzzer

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/vaultd $(BUILD)/vaultctl $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
