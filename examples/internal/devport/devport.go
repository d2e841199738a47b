// Package devport picks a port for the devserver program, which listens on
// a frontend port p and on membership ports p+100 to p+103.
package devport

import (
	"errors"
	"math/rand/v2"
	"net"
	"strconv"
)

// Free returns a loopback port p that is free, and so are the devserver's
// membership ports p+100 to p+103. It picks below the usual ephemeral
// range, so that outgoing connections do not take the ports between
// restarts of the server.
func Free() (int, error) {
	for range 100 {
		p := 10000 + rand.IntN(20000)
		if free(p, p+100, p+101, p+102, p+103) {
			return p, nil
		}
	}
	return 0, errors.New("no free port with room for the devserver's membership ports")
}

func free(ports ...int) bool {
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
