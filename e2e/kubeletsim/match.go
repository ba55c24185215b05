package main

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"
)

// The matching below follows kubelet's pkg/credentialprovider/keyring.go
// (URLsMatchStr, ParseSchemelessURL, SplitURL): it decides both which
// provider's matchImages cover an image and which key of a provider's auth
// map applies to it.

// urlsMatchStr reports whether target (an image without tag or digest, or a
// registry host) matches glob (a matchImages entry or an auth key): the host
// names have the same number of DNS labels and each glob label matches the
// target's with path.Match syntax ("*" never spans a "."), the ports are
// equal (both may be absent), and the glob's path is a prefix of the
// target's. Globs are allowed in the host only.
func urlsMatchStr(glob, target string) (bool, error) {
	globURL, err := parseSchemelessURL(glob)
	if err != nil {
		return false, err
	}
	targetURL, err := parseSchemelessURL(target)
	if err != nil {
		return false, err
	}
	return urlsMatch(globURL, targetURL)
}

func urlsMatch(globURL, targetURL *url.URL) (bool, error) {
	globParts, globPort := splitURL(globURL)
	targetParts, targetPort := splitURL(targetURL)
	if globPort != targetPort {
		return false, nil
	}
	if len(globParts) != len(targetParts) {
		return false, nil
	}
	if !strings.HasPrefix(targetURL.Path, globURL.Path) {
		return false, nil
	}
	for i, g := range globParts {
		ok, err := filepath.Match(g, targetParts[i])
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// parseSchemelessURL parses "host[:port][/path]" (url.Parse needs a scheme).
func parseSchemelessURL(s string) (*url.URL, error) {
	u, err := url.Parse("https://" + s)
	if err != nil {
		return nil, err
	}
	u.Scheme = ""
	return u, nil
}

// splitURL returns the host's DNS labels and the port ("" when absent).
func splitURL(u *url.URL) ([]string, string) {
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, ""
	}
	return strings.Split(host, "."), port
}

// repoToPull is what kubelet matches and sends to providers: the image
// reference without tag or digest, normalized the way the Docker reference
// library does it ("nginx" is docker.io/library/nginx).
func repoToPull(image string) string {
	name := image
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "/") {
		name = name[:i]
	}
	first, rest, found := strings.Cut(name, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost") {
		// No registry host: Docker Hub.
		if !found {
			return "docker.io/library/" + name
		}
		return "docker.io/" + name
	}
	if first == "index.docker.io" {
		first = "docker.io"
	}
	if first == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return first + "/" + rest
}

// authKey is how kubelet's BasicDockerKeyring.Add files an auth map key: an
// optional http(s) scheme dropped, /v1/ or /v2/ treated as the bare host.
// The result is also the ServerAddress kubelet sends in the CRI AuthConfig.
func authKey(loc string) (string, error) {
	value := loc
	if !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "http://") {
		value = "https://" + value
	}
	u, err := url.Parse(value)
	if err != nil {
		return "", err
	}
	p := u.Path
	if strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/v1/") {
		p = p[3:]
	}
	if p != "" && p != "/" {
		return u.Host + p, nil
	}
	return u.Host, nil
}
