// echo-go: a hashicorp/yamux peer for @nomadic/yamux's interop tests.
//
//   echo-go -mode server -bind 127.0.0.1:0     prints {"addr":...}; echoes every stream it accepts,
//                                               and on each session opens one stream of its own
//                                               that sends "hello from go" and closes.
//   echo-go -mode client -addr HOST:PORT -streams N -size BYTES
//                                               opens N streams at once, writes BYTES on each,
//                                               half-closes, checks the echo; prints {"ok":N}.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/yamux"
)

func config() *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = ioutil.Discard
	return c
}

func serve(conn net.Conn) {
	session, err := yamux.Server(conn, config())
	if err != nil {
		conn.Close()
		return
	}
	go func() {
		s, err := session.Open()
		if err != nil {
			return
		}
		s.Write([]byte("hello from go"))
		s.Close()
	}()
	for {
		stream, err := session.Accept()
		if err != nil {
			return
		}
		go func(s net.Conn) {
			io.Copy(s, s)
			s.Close()
		}(stream)
	}
}

func main() {
	mode := flag.String("mode", "server", "server or client")
	bind := flag.String("bind", "127.0.0.1:0", "listen address")
	addr := flag.String("addr", "", "server address")
	streams := flag.Int("streams", 16, "streams")
	size := flag.Int("size", 1<<20, "bytes per stream")
	flag.Parse()
	if *mode == "server" {
		ln, err := net.Listen("tcp", *bind)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		out, _ := json.Marshal(map[string]string{"addr": ln.Addr().String()})
		fmt.Println(string(out))
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn)
		}
	}
	conn, err := net.Dial("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	session, err := yamux.Client(conn, config())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var ok int64
	var wg sync.WaitGroup
	for i := 0; i < *streams; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := session.OpenStream()
			if err != nil {
				return
			}
			data := make([]byte, *size)
			for j := range data {
				data[j] = byte(i + j*13)
			}
			// This yamux's Read returns EOF once the stream is closed locally, so read the echo
			// in full before closing.
			go s.Write(data)
			got := make([]byte, len(data))
			if _, err := io.ReadFull(s, got); err != nil {
				fmt.Fprintln(os.Stderr, "read:", err)
			} else if bytes.Equal(got, data) {
				atomic.AddInt64(&ok, 1)
			}
			s.Close()
		}(i)
	}
	wg.Wait()
	session.Close()
	out, _ := json.Marshal(map[string]int64{"ok": ok})
	fmt.Println(string(out))
}
