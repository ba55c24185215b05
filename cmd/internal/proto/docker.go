package proto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker-credential-helpers/credentials"
)

// MaxStdin bounds what the protocol verbs read: a server URL or a small JSON.
const MaxStdin = 1 << 20

// ReadDockerInput reads the verb's stdin whole, refusing oversize or binary junk
// with a clear error instead of the scanner's.
func ReadDockerInput(stdin io.Reader, verb string) (io.Reader, error) {
	if verb == credentials.ActionList {
		return strings.NewReader(""), nil
	}
	data, err := io.ReadAll(io.LimitReader(stdin, MaxStdin+1))
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	if len(data) > MaxStdin {
		return nil, fmt.Errorf("%s: input on stdin is larger than 1 MiB; expected a registry host name", verb)
	}
	if verb == credentials.ActionStore {
		// credentials.Store reads stdin with a bufio.Scanner, whose lines
		// stop at 64 KiB with "bufio.Scanner: token too long".
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) >= bufio.MaxScanTokenSize {
				return nil, fmt.Errorf("%s: a line on stdin is longer than 64 KiB; expected JSON credentials", verb)
			}
		}
		if err := CheckStoreInput(data); err != nil {
			return nil, err
		}
		return bytes.NewReader(data), nil
	}
	host := bytes.TrimSpace(data)
	if len(host) > 4096 {
		return nil, fmt.Errorf("%s: input on stdin is %d bytes; expected a registry host name", verb, len(data))
	}
	// credentials.Get and Erase glue lines together without a separator, so
	// "HOST-PART\nREST" would name another host: refuse it.
	if bytes.IndexByte(host, '\n') >= 0 {
		return nil, fmt.Errorf("%s: input on stdin has more than one line; expected one registry host name", verb)
	}
	// Hand over the trimmed host (they trim it anyway): padding around it
	// must not run into their scanner's 64 KiB line limit.
	return bytes.NewReader(host), nil
}

// CheckStoreInput reads store's stdin the way credentials.Store does (lines
// joined, one JSON value) and says in a sentence what is wrong with it. It
// never quotes the input: it holds a password.
func CheckStoreInput(data []byte) error {
	var joined bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		joined.Write(sc.Bytes())
	}
	if strings.TrimSpace(joined.String()) == "" {
		return errors.New(`store: stdin is empty; expected the JSON credentials docker sends ({"ServerURL":…,"Username":…,"Secret":…}); nothing was saved`)
	}
	var c credentials.Credentials
	if err := json.NewDecoder(&joined).Decode(&c); err != nil {
		return errors.New(`store: stdin is not the JSON credentials docker sends ({"ServerURL":…,"Username":…,"Secret":…}); nothing was saved`)
	}
	if strings.TrimSpace(c.ServerURL) == "" {
		return errors.New("store: the credentials on stdin name no ServerURL; nothing was saved")
	}
	return nil
}
