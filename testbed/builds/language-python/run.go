package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// exitShownToUser is the exec script's exit status for "an actionable error was already logged to the
// engine": the CLI should fail without adding a message of its own.
const exitShownToUser = 32

// Run executes the program: `<venv python> pulumi-language-python-exec --monitor … <entry point>`.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "debugging is not supported by this stand-in language host"}, nil
	}
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	// A missing or broken virtualenv gets the SDK's own explanatory error instead of a Python traceback.
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}

	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "." // the directory: the script then runs its __main__.py
	}
	// The exec script's argparse flags. --parallel and --dry_run are always given: it calls int() on the
	// former and compares the latter with "true".
	args := []string{h.exec,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engine,
		"--project", req.GetProject(),
		"--root_directory", req.GetInfo().GetRootDirectory(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
	}
	if h.tracing != "" {
		args = append(args, "--tracing", h.tracing)
	}
	if org := req.GetOrganization(); org != "" {
		args = append(args, "--organization", org)
	}
	args = append(append(args, entry), req.GetArgs()...)

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	// Config reaches the Python SDK through the environment, not argv (values may be secrets, and argv
	// is visible to every user of the machine). Always set, even empty, so no stale value is inherited.
	config, secretKeys := req.GetConfig(), req.GetConfigSecretKeys()
	if config == nil {
		config = map[string]string{}
	}
	if secretKeys == nil {
		secretKeys = []string{}
	}
	configJSON, _ := json.Marshal(config)         // cannot fail for a map of strings
	secretKeysJSON, _ := json.Marshal(secretKeys) // nor for a list of strings
	// Without a virtualenv the toolchain leaves Env nil (inherit); appending to nil would drop it all.
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env,
		"PULUMI_CONFIG="+string(configJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	// The CLI reads this plugin's stdout and stderr and shows them, so the program simply inherits them.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	logging.V(5).Infof("running %s", strings.Join(cmd.Args, " "))

	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == exitShownToUser:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	case errors.As(err, &exit): // killed by a signal
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exit)}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python program: %v", err)}, nil
	}
}

// RunPlugin runs a Python plugin, here a policy pack (`--policy-pack DIR` whose PulumiPolicy.yaml says
// `runtime: python`): `<venv python> -u DIR ARGS…` (ARGS end with the engine address), so Python runs
// DIR/__main__.py. Its output goes back over the stream; the CLI reads the analyzer's port from the
// first stdout line and cancels the call (which kills the process) when done.
func (h *host) RunPlugin(
	req *pulumirpc.RunPluginRequest, srv grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	opts, err := pythonOptions(req.GetInfo())
	if err != nil {
		return err
	}
	// Like the real host, never run a plugin in the ambient interpreter: default to DIR/venv.
	if opts.Toolchain == toolchain.Pip && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(srv.Context()); err != nil {
		return err
	}
	dir := req.GetInfo().GetProgramDirectory()
	if _, err := os.Stat(filepath.Join(dir, "__main__.py")); err != nil {
		// The real host can also run packaged plugins via `python -m pulumi.run.plugin`; we cannot.
		return fmt.Errorf("this stand-in language host only runs plugins with a __main__.py: %w", err)
	}
	// -u: pulumi_policy writes its port with sys.stdout.buffer.write and no flush; on a pipe Python
	// would hold that line in its buffer and the CLI would wait for it forever.
	cmd, err := tc.Command(srv.Context(), append([]string{"-u", dir}, req.GetArgs()...)...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(srv, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	cmd.Env = append(cmd.Env, req.GetEnv()...) // later entries win: the CLI's per-plugin environment
	cmd.Stdout, cmd.Stderr = stdout, stderr

	var exit *exec.ExitError
	if err := cmd.Run(); errors.As(err, &exit) {
		return srv.Send(&pulumirpc.RunPluginResponse{
			Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exit.ExitCode())}, //nolint:gosec // small
		})
	} else if err != nil {
		return fmt.Errorf("could not run the Python plugin: %w", err)
	}
	return closer.Close()
}

// InstallDependencies backs `pulumi install` (and `pulumi policy` installs): the SDK's toolchain creates
// the virtualenv if needed and installs requirements.txt (or runs poetry/uv), streaming its output back.
func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, srv grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	opts, err := pythonOptions(req.GetInfo())
	if err != nil {
		return err
	}
	if req.GetIsPlugin() && opts.Toolchain == toolchain.Pip && opts.Virtualenv == "" {
		opts.Virtualenv = "venv" // same default as RunPlugin, so what is installed is what runs
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(srv, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	if err := tc.InstallDependencies(srv.Context(), req.GetInfo().GetProgramDirectory(),
		req.GetUseLanguageVersionTools(), true /* showOutput */, stdout, stderr); err != nil {
		return err
	}
	return closer.Close()
}
