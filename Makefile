# lowpower multipath: apply, build, boot and test the patch series.
# `make help` lists the targets.
SHELL := /bin/bash
S := scripts

.PHONY: help deps source tree export apply config build kernel-debug kernel-plain \
	kernel-base test check bisect \
	demo clean distclean regress regress-base regress-base-map soak \
	bench bench-cpu bench-memory prober kunit-i386 iproute2 iproute2-export

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:[^#]*## /\t/' | expand -t 12

deps: ## install the Debian packages the project needs (apt)
	@$(S)/install-deps.sh

source: deps ## extract Debian's linux-source-6.12 to build/src (KSRC=dir: use dir)
	@$(S)/get-source.sh >/dev/null

tree: source ## make build/work: a git tree of the base with the series (git am)
	@$(S)/prepare-tree.sh

export: ## regenerate patches/ from the commits in build/work
	@$(S)/export-patches.sh

apply: ## apply the series to KTREE=dir with patch -p1, no fuzz
	@test -n "$(KTREE)" || { echo "make apply: set KTREE=/path/to/kernel/tree" >&2; exit 1; }
	@$(S)/apply-series.sh "$(KTREE)"

config: tree ## configure the test kernel in build/obj (tinyconfig + fragments)
	@TARGETS=net/lowpower $(S)/configure.sh

build: kernel-debug ## build the debug kernel (the same as kernel-debug)

kernel-debug: tree ## the series with KASAN, lockdep and KUnit (build/obj): KUnit, net/lowpower, soak
	@$(S)/kernel.sh debug

kernel-plain: tree ## the series without debug options (build/obj-plain): timing tests, regress, demo, bench
	@$(S)/kernel.sh plain

kernel-base: tree ## the unpatched base, configured like kernel-plain (build/obj-base): regress-base, bench
	@$(S)/kernel.sh base

test: kernel-debug ## all of it from scratch: build, boot, run KUnit + kselftests, count
	@$(S)/test-all.sh

soak: kernel-debug ## churn soak on the SMP debug kernel, fault injection, kmemleak (SOAK_S=600; SOAK_KMEMLEAK=0: no kmemleak)
	@$(S)/soak.sh

check: source ## fast lint: series, checkpatch --strict, zero-fuzz apply, shellcheck
	@$(S)/check.sh

regress: kernel-plain ## upstream fib/multipath selftests and route map in mode 0 vs the base's
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/regress.sh

regress-base: kernel-base ## record the base results: the same selftests on the unpatched base
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/regress.sh --base

regress-base-map: kernel-base ## record only the base's route map (docs/regress-route-map.txt)
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/regress.sh --base-map

bench: bench-cpu bench-memory ## what the series costs vs the unpatched base: CPU and memory (docs/results/)

bench-cpu: kernel-base kernel-plain ## CPU cost in instruction-count mode, base vs modes 0-2 (ROUNDS=5 BENCH_S=0.5)
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/bench-cpu.sh $(ROUNDS) $(BENCH_S)

bench-memory: kernel-base kernel-plain ## memory per route, by route kind: base vs mode 0 and 1 (COUNT=20000)
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/bench-memory.sh $(COUNT)

prober: tree ## build lowpower-prober (build/prober) against the series' uAPI
	@$(S)/step.sh deps $(S)/install-deps.sh
	@mkdir -p build/prober
	@$(MAKE) -s -C prober KSRC=$(CURDIR)/build/work O=$(CURDIR)/build/prober

iproute2: ## build Debian's iproute2 with patches/iproute2/ (build/iproute2/src, git am)
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/iproute2.sh

iproute2-export: ## regenerate patches/iproute2/ from the commits in build/iproute2/src
	@$(S)/export-iproute2.sh

kunit-i386: tree ## build the series for 32-bit x86, run its KUnit suites (qemu-system-i386)
	@$(S)/step.sh deps $(S)/install-deps.sh
	@$(S)/kunit-i386.sh

bisect: config ## build every prefix of the series (incremental, ccache)
	@$(S)/bisect-build.sh

demo: deps kernel-plain ## the main job: build and boot the patched kernel, show it running
	@$(S)/demo.sh

clean: ## remove what the builds and boots made: kernel objects, VM logs, tools (not the sources)
	rm -rf build/obj build/obj-* build/vm build/vm-* build/demo build/prober \
		build/bench build/bisect build/build-background.log build/ci-*.log
	if [ -f build/iproute2/src/config.mk ]; then \
		$(MAKE) -s -C build/iproute2/src clean >/dev/null; \
		rm -f build/iproute2/*.log; \
	fi

distclean: ## remove all of build/ (extracted source, work tree, objects)
	rm -rf build
