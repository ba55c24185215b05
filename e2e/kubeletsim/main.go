// Command kubeletsim pulls one image through a CRI runtime (containerd) the
// way kubelet does, including kubelet's image credential provider plugins,
// for the end-to-end suite (e2e/run.sh).
//
// Usage:
//
//	kubeletsim -cri unix:///run/containerd/containerd.sock -image REF
//	           [-config CredentialProviderConfig.yaml -bin-dir DIR | -no-provider]
//	           [-verify] [-timeout 2m]
//	           [-service-account NS/NAME [-sa-annotation KEY=VALUE]... [-sa-issuer URL]]
//	kubeletsim -cri unix:///... -ping
//
// Like kubelet it reads the CredentialProviderConfig (kubelet.config.k8s.io),
// takes the first provider whose matchImages match the image's repository
// (the reference without tag or digest, which is also what the provider is
// sent), runs BIN_DIR/NAME ARGS... with the provider's env on top of its own
// environment, a CredentialProviderRequest on stdin and a one-minute limit,
// checks the CredentialProviderResponse, takes the credentials whose auth key
// matches the image (most specific key first) and calls the CRI
// ImageService.PullImage with them. Like kubelet it leaves
// AuthConfig.ServerAddress empty (-server-address host or url sends the auth
// key instead; containerd's CRI ignores credentials whose ServerAddress does
// not parse as a URL with the registry as its host, so "host" pulls
// anonymously there). Without a matching provider, or with -no-provider, it
// pulls anonymously. -verify then asks the runtime for the image
// (ImageStatus and ListImages).
//
// A provider with tokenAttributes (Kubernetes 1.34+) also gets, as from
// kubelet, a service account token for -service-account with the configured
// audience and the -sa-annotation entries its annotation keys list (sa.go).
//
// It prints the pulled image and exits 0, or prints the error and exits 1.
// Passwords are never printed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	configv1 "k8s.io/kubelet/config/v1"
	credentialproviderv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
	"sigs.k8s.io/yaml"
)

// providerTimeout is kubelet's limit for one plugin run.
const providerTimeout = time.Minute

// Versions kubelet 1.34 accepts.
var (
	configAPIVersions = map[string]bool{
		"kubelet.config.k8s.io/v1":       true,
		"kubelet.config.k8s.io/v1beta1":  true,
		"kubelet.config.k8s.io/v1alpha1": true,
	}
	pluginAPIVersions = map[string]bool{
		"credentialprovider.kubelet.k8s.io/v1":       true,
		"credentialprovider.kubelet.k8s.io/v1beta1":  true,
		"credentialprovider.kubelet.k8s.io/v1alpha1": true,
	}
	cacheKeyTypes = map[credentialproviderv1.PluginCacheKeyType]bool{
		credentialproviderv1.ImagePluginCacheKeyType:    true,
		credentialproviderv1.RegistryPluginCacheKeyType: true,
		credentialproviderv1.GlobalPluginCacheKeyType:   true,
	}
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "kubeletsim: error: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	config, binDir, cri, image string
	noProvider, verify, ping   bool
	serverAddress              string
	timeout                    time.Duration
	serviceAccount, saIssuer   string
	saAnnotations              annotationFlag
}

func run(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("kubeletsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "kubelet CredentialProviderConfig (YAML or JSON), like --image-credential-provider-config")
	fs.StringVar(&o.binDir, "bin-dir", "", "provider directory, like --image-credential-provider-bin-dir")
	fs.StringVar(&o.cri, "cri", "", "CRI endpoint, unix:///path/to/containerd.sock")
	fs.StringVar(&o.image, "image", "", "image reference to pull")
	fs.BoolVar(&o.noProvider, "no-provider", false, "do not run any credential provider: pull anonymously")
	fs.BoolVar(&o.verify, "verify", false, "after pulling, check that the runtime lists the image")
	fs.BoolVar(&o.ping, "ping", false, "only check that the CRI services answer (RuntimeService.Version, ImageService.ImageFsInfo)")
	fs.StringVar(&o.serverAddress, "server-address", "kubelet", "AuthConfig.ServerAddress sent to the runtime: kubelet (empty, as kubelet sends it), host (the auth key, e.g. the registry host) or url (https://KEY)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "time limit of the CRI calls")
	o.saAnnotations = annotationFlag{}
	fs.StringVar(&o.serviceAccount, "service-account", "", "the pod's service account, NAMESPACE/NAME (none: a pod without one)")
	fs.Var(o.saAnnotations, "sa-annotation", "KEY=VALUE annotation of the service account (repeatable)")
	fs.StringVar(&o.saIssuer, "sa-issuer", "https://kubeletsim.example/cluster", "iss claim of service account tokens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.cri == "" {
		return errors.New("-cri is required")
	}
	switch o.serverAddress {
	case "kubelet", "host", "url":
	default:
		return fmt.Errorf("-server-address %q: want kubelet, host or url", o.serverAddress)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "kubeletsim: "+format+"\n", a...) }
	sa, err := parseServiceAccount(o.serviceAccount, o.saAnnotations, o.saIssuer)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	conn, err := dialCRI(o.cri)
	if err != nil {
		return err
	}
	defer conn.Close()
	images := runtimeapi.NewImageServiceClient(conn)

	if o.ping {
		v, err := runtimeapi.NewRuntimeServiceClient(conn).Version(ctx, &runtimeapi.VersionRequest{})
		if err != nil {
			return fmt.Errorf("CRI RuntimeService.Version: %w", err)
		}
		if _, err := images.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{}); err != nil {
			return fmt.Errorf("CRI ImageService.ImageFsInfo: %w", err)
		}
		fmt.Fprintf(stdout, "%s %s (CRI %s)\n", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
		return nil
	}

	if o.image == "" {
		return errors.New("-image is required")
	}
	repo := repoToPull(o.image)
	var creds []authConfig
	if o.noProvider {
		logf("-no-provider: pulling %s anonymously", o.image)
	} else {
		if o.config == "" || o.binDir == "" {
			return errors.New("-config and -bin-dir are required (or -no-provider)")
		}
		cfg, err := readConfig(o.config)
		if err != nil {
			return err
		}
		p, glob, err := matchProvider(cfg, repo)
		if err != nil {
			return err
		}
		if p == nil {
			logf("no provider's matchImages match %s: pulling anonymously", repo)
		} else {
			logf("provider %s matches %s (matchImages entry %q)", p.Name, repo, glob)
			token, annotations, err := serviceAccountInputs(p, sa)
			if err != nil {
				return err
			}
			if token != "" {
				logf("passing a token of service account %s and %d annotation(s) to %s", o.serviceAccount, len(annotations), p.Name)
			}
			resp, err := execProvider(p, o.binDir, repo, token, annotations, stderr)
			if err != nil {
				return err
			}
			creds, err = lookup(resp, repo)
			if err != nil {
				return err
			}
			keys := make([]string, 0, len(resp.Auth))
			for k := range resp.Auth {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			d := "unset"
			if resp.CacheDuration != nil {
				d = resp.CacheDuration.Duration.String()
			}
			logf("provider answered cacheKeyType=%s cacheDuration=%s auth keys=%q; %d credential(s) match %s",
				resp.CacheKeyType, d, keys, len(creds), repo)
			if len(creds) == 0 {
				logf("no credentials for %s: pulling anonymously", repo)
			}
		}
	}

	for i := range creds {
		switch o.serverAddress {
		case "kubelet":
			creds[i].serverAddress = ""
		case "url":
			creds[i].serverAddress = "https://" + creds[i].key
		default:
			creds[i].serverAddress = creds[i].key
		}
	}
	ref, err := pull(ctx, images, o.image, creds, logf)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pulled %s as %s\n", o.image, ref)
	if o.verify {
		line, err := verify(ctx, images, o.image, ref)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}

// readConfig decodes and validates a CredentialProviderConfig strictly, as
// kubelet does.
func readConfig(path string) (*configv1.CredentialProviderConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the credential provider config: %w", err)
	}
	var cfg configv1.CredentialProviderConfig
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("decoding the credential provider config %s: %w", path, err)
	}
	if !configAPIVersions[cfg.APIVersion] {
		return nil, fmt.Errorf("%s: apiVersion %q is not kubelet.config.k8s.io/v1, v1beta1 or v1alpha1", path, cfg.APIVersion)
	}
	if cfg.Kind != "CredentialProviderConfig" {
		return nil, fmt.Errorf("%s: kind %q, want CredentialProviderConfig", path, cfg.Kind)
	}
	if len(cfg.Providers) == 0 {
		return nil, fmt.Errorf("%s: at least 1 item in providers is required", path)
	}
	seen := map[string]bool{}
	for i, p := range cfg.Providers {
		at := fmt.Sprintf("%s: providers[%d]", path, i)
		switch {
		case p.Name == "":
			return nil, fmt.Errorf("%s.name is required", at)
		case strings.ContainsAny(p.Name, `/\`) || p.Name == "." || p.Name == "..":
			return nil, fmt.Errorf("%s.name %q must be a plain file name", at, p.Name)
		case seen[p.Name]:
			return nil, fmt.Errorf("%s.name %q is duplicated", at, p.Name)
		case len(p.MatchImages) == 0:
			return nil, fmt.Errorf("%s.matchImages is required", at)
		case p.DefaultCacheDuration == nil:
			return nil, fmt.Errorf("%s.defaultCacheDuration is required", at)
		case p.DefaultCacheDuration.Duration < 0:
			return nil, fmt.Errorf("%s.defaultCacheDuration must be greater than or equal to 0", at)
		case !pluginAPIVersions[p.APIVersion]:
			return nil, fmt.Errorf("%s.apiVersion %q is not a supported credentialprovider.kubelet.k8s.io version", at, p.APIVersion)
		}
		seen[p.Name] = true
		for _, m := range p.MatchImages {
			if _, err := parseSchemelessURL(m); err != nil {
				return nil, fmt.Errorf("%s.matchImages %q: %v", at, m, err)
			}
		}
		for _, e := range p.Env {
			if e.Name == "" {
				return nil, fmt.Errorf("%s.env has an entry without a name", at)
			}
		}
		if err := validateTokenAttributes(at, p); err != nil {
			return nil, err
		}
	}
	return &cfg, nil
}

// matchProvider is the first provider with a matchImages entry matching repo.
func matchProvider(cfg *configv1.CredentialProviderConfig, repo string) (*configv1.CredentialProvider, string, error) {
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		for _, m := range p.MatchImages {
			ok, err := urlsMatchStr(m, repo)
			if err != nil {
				return nil, "", fmt.Errorf("provider %s: matchImages %q: %v", p.Name, m, err)
			}
			if ok {
				return p, m, nil
			}
		}
	}
	return nil, "", nil
}

// execProvider runs the plugin the way kubelet's execPlugin does.
func execProvider(p *configv1.CredentialProvider, binDir, image, token string, annotations map[string]string, stderr io.Writer) (*credentialproviderv1.CredentialProviderResponse, error) {
	req := credentialproviderv1.CredentialProviderRequest{Image: image, ServiceAccountToken: token, ServiceAccountAnnotations: annotations}
	req.APIVersion = p.APIVersion
	req.Kind = "CredentialProviderRequest"
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), providerTimeout)
	defer cancel()
	bin := filepath.Join(binDir, p.Name)
	cmd := exec.CommandContext(ctx, bin, p.Args...)
	// Kubelet's own environment, then the config's env (later entries win).
	cmd.Env = os.Environ()
	for _, e := range p.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	var out, errb bytes.Buffer
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout = &out
	cmd.Stderr = &errb
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if errb.Len() > 0 {
		for _, l := range strings.Split(strings.TrimRight(errb.String(), "\n"), "\n") {
			fmt.Fprintf(stderr, "kubeletsim: %s stderr: %s\n", p.Name, l)
		}
	}
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("credential provider %s for image %s did not answer within %s", p.Name, image, providerTimeout)
	}
	if runErr != nil {
		return nil, fmt.Errorf("error execing credential provider plugin %s for image %s: %w", p.Name, image, runErr)
	}
	var resp credentialproviderv1.CredentialProviderResponse
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("credential provider %s: decoding the response: %v", p.Name, err)
	}
	if resp.APIVersion != p.APIVersion {
		return nil, fmt.Errorf("credential provider %s: apiVersion from the response %q does not match the config's %q", p.Name, resp.APIVersion, p.APIVersion)
	}
	if resp.Kind != "CredentialProviderResponse" {
		return nil, fmt.Errorf("credential provider %s: response kind %q, want CredentialProviderResponse", p.Name, resp.Kind)
	}
	if !cacheKeyTypes[resp.CacheKeyType] {
		return nil, fmt.Errorf("credential provider %s: invalid cacheKeyType %q: want Image, Registry or Global", p.Name, resp.CacheKeyType)
	}
	if resp.CacheDuration != nil && resp.CacheDuration.Duration < 0 {
		return nil, fmt.Errorf("credential provider %s: negative cacheDuration %s", p.Name, resp.CacheDuration.Duration)
	}
	return &resp, nil
}

// authConfig is one credential for the image: key is the auth map key it
// came from (normalized), serverAddress what goes to the runtime.
type authConfig struct {
	username, password, key, serverAddress string
}

// lookup does what kubelet's BasicDockerKeyring does with the response's
// auth map: keys normalized, most specific (reverse-sorted) first, only keys
// matching the image.
func lookup(resp *credentialproviderv1.CredentialProviderResponse, repo string) ([]authConfig, error) {
	byKey := map[string]authConfig{}
	var index []string
	for loc, a := range resp.Auth {
		key, err := authKey(loc)
		if err != nil {
			return nil, fmt.Errorf("auth key %q: %v", loc, err)
		}
		if _, dup := byKey[key]; !dup {
			index = append(index, key)
			byKey[key] = authConfig{username: a.Username, password: a.Password, key: key}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(index)))
	var out []authConfig
	for _, k := range index {
		if ok, _ := urlsMatchStr(k, repo); ok {
			out = append(out, byKey[k])
		}
	}
	return out, nil
}

func dialCRI(endpoint string) (*grpc.ClientConn, error) {
	if !strings.Contains(endpoint, "://") {
		endpoint = "unix://" + endpoint
	}
	if !strings.HasPrefix(endpoint, "unix://") {
		return nil, fmt.Errorf("-cri %q: only unix:// endpoints are supported", endpoint)
	}
	conn, err := grpc.NewClient(endpoint,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		return nil, fmt.Errorf("CRI endpoint %s: %w", endpoint, err)
	}
	return conn, nil
}

// pull calls PullImage without credentials, or with each matching credential
// in turn until one works (as kubelet does).
func pull(ctx context.Context, images runtimeapi.ImageServiceClient, image string, creds []authConfig, logf func(string, ...any)) (string, error) {
	spec := &runtimeapi.ImageSpec{Image: image}
	if len(creds) == 0 {
		r, err := images.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec})
		if err != nil {
			return "", fmt.Errorf("CRI PullImage %s without credentials: %w", image, err)
		}
		return r.ImageRef, nil
	}
	var errs []error
	for _, c := range creds {
		logf("CRI PullImage %s with the credentials for %s (username %s, ServerAddress %q)", image, c.key, c.username, c.serverAddress)
		r, err := images.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec, Auth: &runtimeapi.AuthConfig{
			Username: c.username, Password: c.password, ServerAddress: c.serverAddress,
		}})
		if err == nil {
			return r.ImageRef, nil
		}
		errs = append(errs, fmt.Errorf("CRI PullImage %s with the credentials for %s: %w", image, c.key, err))
	}
	return "", errors.Join(errs...)
}

// verify checks that the runtime knows the image by reference and lists it.
func verify(ctx context.Context, images runtimeapi.ImageServiceClient, image, ref string) (string, error) {
	st, err := images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: image}})
	if err != nil {
		return "", fmt.Errorf("CRI ImageStatus %s: %w", image, err)
	}
	if st.Image == nil {
		return "", fmt.Errorf("CRI ImageStatus %s: the runtime does not have the image after PullImage", image)
	}
	list, err := images.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return "", fmt.Errorf("CRI ListImages: %w", err)
	}
	found := false
	for _, im := range list.Images {
		if im.Id == st.Image.Id {
			found = true
			break
		}
	}
	if !found {
		return "", fmt.Errorf("CRI ListImages: %d image(s), none with id %s", len(list.Images), st.Image.Id)
	}
	if ref != "" && ref != st.Image.Id {
		return "", fmt.Errorf("CRI ImageStatus %s: id %s, but PullImage answered %s", image, st.Image.Id, ref)
	}
	return fmt.Sprintf("verified %s id=%s repoTags=%s repoDigests=%s", image, st.Image.Id,
		strings.Join(st.Image.RepoTags, ","), strings.Join(st.Image.RepoDigests, ",")), nil
}
