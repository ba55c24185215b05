// Command floor is the bench's lower bound: a Go binary that does nothing but
// print a constant credential-helper answer and exit. The time it takes is
// what exec, the dynamic loader (none: it is static) and the Go runtime's
// start and exit cost on this machine.
package main

import "os"

func main() {
	os.Stdout.WriteString(`{"ServerURL":"floor","Username":"AWS","Secret":"floor"}` + "\n")
}
