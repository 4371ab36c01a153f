// pulumi-language-python, as built here, is this project's own minimal stand-in for Pulumi's Python
// language host. It exists because the Go module proxy on our build machines refuses
// github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3 (403 for every version), so the real
// host cannot be built from pinned sources. Only the gRPC glue is ours: interpreter and virtualenv
// resolution come from the SDK's own toolchain package (github.com/pulumi/pulumi/sdk/v3/python/toolchain),
// and programs run through the SDK's own exec script, pulumi-language-python-exec, copied beside this
// binary from the same sdk/v3 module.
//
// It covers what the CLI needs for preview/up/refresh/destroy, config and stack outputs, plus Python
// policy packs (RunPlugin), `pulumi install`, the virtualenv a preview or up creates when `pulumi install`
// has not run, and the dependencies `pulumi about` lists (deps.go). It does not discover provider plugins
// from installed packages (our programs only use dynamic providers), and it has no debugger, typechecker,
// code generation or Handshake/attach: those calls answer Unimplemented or a plain error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// execScript is the SDK's Python entry point that connects to the engine and runs the user's program.
const execScript = "pulumi-language-python-exec"

const sdkModule = "github.com/pulumi/pulumi/sdk/v3"

func main() {
	// The CLI launches language plugins as `<plugin> [--logtostderr] [-v=N] [--tracing URL] <engine address>`;
	// the logging flags belong to glog, which the SDK's logging package registers on flag.CommandLine.
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.Parse()
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracing)

	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not locate this executable: %w", err))
	}
	// The exec script is installed beside the host (as the real host expects), not looked up on PATH, so
	// the script always matches the SDK version this binary was built from.
	script := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(script); err != nil {
		cmdutil.Exit(fmt.Errorf("missing %s beside the language host: %w", execScript, err))
	}

	var engine string
	if args := flag.Args(); len(args) > 0 {
		engine = args[0]
	}

	// Stop serving on Ctrl-C, and also if the engine goes away: otherwise an orphaned host (the CLI was
	// killed) would linger forever.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if engine != "" {
		if err := rpcutil.Healthcheck(ctx, engine, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the engine health check: %w", err))
		}
	}
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &host{exec: script, engine: engine, tracing: *tracing})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host gRPC server: %w", err))
	}
	// The plugin protocol: the first line on stdout is the port the CLI dials.
	fmt.Println(handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped serving: %w", err))
	}
}

// host implements the LanguageRuntime service. Embedding the Unimplemented server makes every call we do
// not handle answer codes.Unimplemented, which the CLI treats as "older host" and tolerates where it can.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec    string // path of pulumi-language-python-exec
	engine  string // engine gRPC address, passed on to the program
	tracing string
}

// GetPluginInfo reports the sdk/v3 version this binary was built against (read from the build info, so it
// follows the go.mod pin rather than a second hard-coded copy).
func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	version := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == sdkModule {
				version = dep.Version
			}
		}
	}
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// About reports the interpreter; besides `pulumi about`, preview and up ask for it to record in the
// update's metadata.
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip} // the ambient python when no project is given
	if req.GetInfo() != nil {
		var err error
		if opts, err = pythonOptions(req.GetInfo()); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{Executable: about.PythonExecutable, Version: about.PythonVersion.String()}, nil
}

// toolchainFor resolves the SDK toolchain (pip, poetry or uv, and the virtualenv) the program's runtime
// options name.
func toolchainFor(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	opts, err := pythonOptions(info)
	if err != nil {
		return nil, err
	}
	return toolchain.ResolveToolchain(opts)
}

// pythonOptions turns the `runtime.options` of Pulumi.yaml (or PulumiPolicy.yaml) into the toolchain
// package's options; relative virtualenv paths are resolved against the root directory by the toolchain.
func pythonOptions(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	if info == nil {
		return toolchain.PythonOptions{}, errors.New("the request carries no program info (CLI too old?)")
	}
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	options := info.Options.AsMap()
	// Only the options we know are read: others (e.g. from newer CLIs) are ignored, as the real host does.
	str := func(key string) (string, error) {
		v, _ := options[key].(string)
		if _, present := options[key]; present && v == "" {
			return "", fmt.Errorf("runtime option %q must be a non-empty string", key)
		}
		return v, nil
	}
	var err error
	if opts.Virtualenv, err = str("virtualenv"); err != nil {
		return opts, err
	}
	switch name, err := str("toolchain"); {
	case err != nil:
		return opts, err
	case name == "pip":
		opts.Toolchain = toolchain.Pip
	case name == "poetry":
		opts.Toolchain = toolchain.Poetry
	case name == "uv":
		opts.Toolchain = toolchain.Uv
	case name != "": // absent means Auto: the toolchain package picks one from the lock files it finds
		return opts, fmt.Errorf("unsupported toolchain option: %s", name)
	}
	if _, present := options["typechecker"]; present {
		// Refuse rather than silently skip a check the project asked for.
		return opts, errors.New("the typechecker option is not supported by this stand-in language host")
	}
	return opts, nil
}
