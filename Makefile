# dwm — the README's two commands are `make demo` and `make test`.
GO ?= go
GOFLAGS ?=
export CGO_ENABLED=1

# Packages with goroutines: vector envs, parallel MuJoCo envs, the store, batched evaluation, parallel
# BLAS/kernels and ensemble members, the optimizer's parallel chunks, the denoisers' parallel sampling,
# dataset generation, sweeps, the training loop.
RACE_PKGS ?= ./env ./env/mujoco ./track ./eval ./nn ./train ./internal/blas ./tensor ./optim ./diffusion/denoiser ./datagen ./sweep

.PHONY: deps demo test test-short bench fuzz vet fmt build

deps:
	@bash scripts/deps.sh build

build: deps
	$(GO) build -o bin/dwm ./cmd/dwm

# The main job on the small embedded default; prints the result against a reference.
demo: build
	./bin/dwm demo

# The whole suite (installs test dependencies first). Must stay under 10 minutes on 2 cores.
test:
	@bash scripts/deps.sh test
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...
	@echo "race detector over the packages with concurrency:"
	$(GO) test -race -count=1 $(RACE_PKGS)

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# Benchmarks with Go/PyTorch ratios measured in one run.
bench:
	@bash scripts/deps.sh bench
	bash scripts/bench.sh

# Fuzzing of every reader of user input. Not part of `make test`: random search can find a new crasher on any
# run, and a test command must give the same verdict for the same commit. `go test` (and so `make test`) replays
# every committed seed and crasher under testdata/fuzz; commit what `make fuzz` finds.
fuzz:
	bash scripts/fuzz.sh 60s
