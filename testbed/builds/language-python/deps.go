package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// GetRequiredPackages answers "none", after making sure the program's virtualenv exists: the CLI asks this
// before every preview and up, so, as with the official host, a project run before `pulumi install` gets its
// virtualenv created and requirements.txt installed here (the SDK toolchain's EnsureVenv, which does nothing
// when the virtualenv is there), its progress shown as the CLI's ephemeral messages. The official host also
// lists the pulumi-* Python packages here so that the CLI pre-installs their provider plugins; our programs
// only use dynamic providers, whose plugin (pulumi-resource-pulumi-python) the engine finds on PATH. (The
// deprecated GetRequiredPlugins is left Unimplemented: the CLI only falls back to it when this one is.)
func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	engine, closer, err := h.engineClient()
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	stream := rand.Int32() //nolint:gosec // groups the messages of one install, no secret
	info := &engineLog{ctx: ctx, engine: engine, stream: stream, severity: pulumirpc.LogSeverity_INFO}
	errs := &engineLog{ctx: ctx, engine: engine, stream: stream, severity: pulumirpc.LogSeverity_ERROR}
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, /* useLanguageVersionTools */
		true /* showOutput */, info, errs); err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// GetProgramDependencies lists the Python packages installed in the program's environment, for `pulumi
// about` (and the update's metadata), through the SDK toolchain's ListPackages (`pip list`).
func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("could not list the program's Python packages: %w", err)
	}
	dependencies := make([]*pulumirpc.DependencyInfo, len(packages))
	for i, pkg := range packages {
		dependencies[i] = &pulumirpc.DependencyInfo{Name: pkg.Name, Version: pkg.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: dependencies}, nil
}

// engineClient connects to the engine the CLI named when it started this host.
func (h *host) engineClient() (pulumirpc.EngineClient, *grpc.ClientConn, error) {
	if h.engine == "" {
		return nil, nil, fmt.Errorf("the CLI gave this language host no engine address")
	}
	conn, err := grpc.NewClient(h.engine, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("could not connect to the engine: %w", err)
	}
	return pulumirpc.NewEngineClient(conn), conn, nil
}

// engineLog writes each chunk of output as an ephemeral engine message (shown while it matters, as the CLI
// shows the official host's install progress), in one stream per install.
type engineLog struct {
	ctx      context.Context
	engine   pulumirpc.EngineClient
	stream   int32
	severity pulumirpc.LogSeverity
}

func (w *engineLog) Write(p []byte) (int, error) {
	if _, err := w.engine.Log(w.ctx, &pulumirpc.LogRequest{
		Message: strings.ToValidUTF8(string(p), "\uFFFD"), Ephemeral: true, StreamId: w.stream,
		Severity: w.severity,
	}); err != nil {
		return 0, err
	}
	return len(p), nil
}
