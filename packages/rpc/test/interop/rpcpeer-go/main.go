// rpcpeer-go: the Go twin of nomadic-rpcpeer, built from Debian's hashicorp/yamux,
// net-rpc-msgpackrpc and go-msgpack with Nomad's handle (RawToString on).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/rpc"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
	msgpackrpc "github.com/hashicorp/net-rpc-msgpackrpc"
	"github.com/hashicorp/yamux"
)

const (
	rpcNomad        = 0x01
	rpcMultiplex    = 0x03
	rpcTLS          = 0x04
	rpcStreaming    = 0x05
	rpcMultiplexV2  = 0x06
	ourRegion       = "global"
	errUnknownStream = "Unknown rpc method"
)

var handle = &codec.MsgpackHandle{RawToString: true}

type Status struct{}

func (s *Status) Ping(args struct{}, reply *struct{}) error { return nil }

type EchoArgs struct {
	Region string
	Value  string
	Data   []byte
	N      int
}

type EchoReply struct {
	Value string
	Data  []byte
	N     int
	Index uint64
}

type Echo struct{}

func (e *Echo) Echo(args *EchoArgs, reply *EchoReply) error {
	reply.Value = args.Value
	reply.Data = args.Data
	reply.N = args.N
	reply.Index = uint64(args.N) + 1
	return nil
}

func (e *Echo) Fail(args *EchoArgs, reply *struct{}) error {
	return fmt.Errorf("echo failure: %s", args.Value)
}

type streamingHeader struct{ Method string }
type streamingAck struct{ Error string }

func loadTLS(ca, cert, key string) *tls.Config {
	if ca == "" {
		return nil
	}
	pem, err := ioutil.ReadFile(ca)
	if err != nil {
		fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fatal(errors.New("bad CA"))
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		fatal(err)
	}
	return &tls.Config{RootCAs: pool, ClientCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
}

// The role and region rule of Nomad's rpcNameAndRegionValidator.
func regionRule(rawCerts [][]byte, chains [][]*x509.Certificate) error {
	if len(chains) == 0 || len(chains[0]) == 0 {
		return errors.New("no verified chain")
	}
	leaf := chains[0][0]
	names := append([]string{}, leaf.DNSNames...)
	names = append(names, leaf.Subject.CommonName)
	for _, name := range names {
		parts := strings.Split(name, ".")
		if len(parts) < 3 || parts[len(parts)-1] != "nomad" {
			continue
		}
		if parts[0] == "client" && name == "client."+ourRegion+".nomad" {
			return nil
		}
		if parts[0] == "server" {
			return nil
		}
	}
	return errors.New("invalid role or region for certificate")
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "rpcpeer-go: %v\n", err)
	os.Exit(2)
}

func newRPCServer() *rpc.Server {
	s := rpc.NewServer()
	if err := s.RegisterName("Status", &Status{}); err != nil {
		fatal(err)
	}
	if err := s.RegisterName("Echo", &Echo{}); err != nil {
		fatal(err)
	}
	return s
}

func serveRPC(conn io.ReadWriteCloser, server *rpc.Server) {
	defer conn.Close()
	c := msgpackrpc.NewCodecFromHandle(true, true, conn, handle)
	for {
		if err := server.ServeRequest(c); err != nil {
			return
		}
	}
}

func serveStreaming(conn io.ReadWriteCloser) {
	defer conn.Close()
	var hdr streamingHeader
	if err := codec.NewDecoder(conn, handle).Decode(&hdr); err != nil {
		return
	}
	ack := streamingAck{}
	if hdr.Method != "Echo.Stream" {
		ack.Error = fmt.Sprintf("%s: %q", errUnknownStream, hdr.Method)
	}
	if err := codec.NewEncoder(conn, handle).Encode(ack); err != nil || ack.Error != "" {
		return
	}
	io.Copy(conn, conn)
}

func handleConn(conn net.Conn, tlsConf *tls.Config, isTLS bool) {
	buf := make([]byte, 1)
	if _, err := io.ReadFull(conn, buf); err != nil {
		conn.Close()
		return
	}
	if tlsConf != nil && !isTLS && buf[0] != rpcTLS {
		conn.Close()
		return
	}
	switch buf[0] {
	case rpcNomad:
		serveRPC(conn, newRPCServer())
	case rpcTLS:
		if tlsConf == nil || isTLS {
			conn.Close()
			return
		}
		tc := tls.Server(conn, tlsConf)
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return
		}
		tc.SetDeadline(time.Time{})
		handleConn(tc, tlsConf, true)
	case rpcStreaming:
		serveStreaming(conn)
	case rpcMultiplex, rpcMultiplexV2:
		conf := yamux.DefaultConfig()
		conf.LogOutput = ioutil.Discard
		session, err := yamux.Server(conn, conf)
		if err != nil {
			conn.Close()
			return
		}
		server := newRPCServer()
		for {
			sub, err := session.Accept()
			if err != nil {
				session.Close()
				return
			}
			if buf[0] == rpcMultiplex {
				go serveRPC(sub, server)
				continue
			}
			go func(sub net.Conn) {
				b := make([]byte, 1)
				if _, err := io.ReadFull(sub, b); err != nil {
					sub.Close()
					return
				}
				switch b[0] {
				case rpcNomad:
					serveRPC(sub, server)
				case rpcStreaming:
					serveStreaming(sub)
				default:
					session.Close()
				}
			}(sub)
		}
	default:
		conn.Close()
	}
}

func runServer(bind string, tlsConf *tls.Config) {
	if tlsConf != nil {
		tlsConf.ClientAuth = tls.RequireAndVerifyClientCert
		tlsConf.VerifyPeerCertificate = regionRule
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		fatal(err)
	}
	out, _ := json.Marshal(map[string]string{"addr": ln.Addr().String()})
	fmt.Println(string(out))
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		os.Exit(0)
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.SetNoDelay(true)
		}
		go handleConn(conn, tlsConf, false)
	}
}

type dialer struct {
	addr    string
	tlsConf *tls.Config
}

func (d *dialer) dial(typ byte) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", d.addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	conn.(*net.TCPConn).SetNoDelay(true)
	if d.tlsConf != nil {
		if _, err := conn.Write([]byte{rpcTLS}); err != nil {
			return nil, err
		}
		tc := tls.Client(conn, d.tlsConf)
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	if _, err := conn.Write([]byte{typ}); err != nil {
		return nil, err
	}
	return conn, nil
}

func runClient(addr, proto string, tlsConf *tls.Config, serverName string, n, conc, size, warmup int) int {
	if tlsConf != nil {
		tlsConf.ServerName = serverName
	}
	d := &dialer{addr: addr, tlsConf: tlsConf}
	var session *yamux.Session
	var mu sync.Mutex
	var conns []io.Closer
	open := func() (io.ReadWriteCloser, error) {
		switch proto {
		case "direct":
			c, err := d.dial(rpcNomad)
			if err == nil {
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
			return c, err
		case "yamux":
			return session.Open()
		default:
			s, err := session.Open()
			if err != nil {
				return nil, err
			}
			_, err = s.Write([]byte{rpcNomad})
			return s, err
		}
	}
	if proto == "yamux" || proto == "yamux2" {
		typ := byte(rpcMultiplexV2)
		if proto == "yamux" {
			typ = rpcMultiplex
		}
		conn, err := d.dial(typ)
		if err != nil {
			fatal(err)
		}
		conf := yamux.DefaultConfig()
		conf.LogOutput = ioutil.Discard
		session, err = yamux.Client(conn, conf)
		if err != nil {
			fatal(err)
		}
		defer session.Close()
	} else if proto != "direct" {
		fatal(fmt.Errorf("-proto must be direct, yamux or yamux2"))
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	var errCount int64
	first, err := open()
	if err != nil {
		fatal(err)
	}
	fc := msgpackrpc.NewCodecFromHandle(true, true, first, handle)
	var empty struct{}
	if err := msgpackrpc.CallWithCodec(fc, "Status.Ping", struct{}{}, &empty); err != nil {
		fatal(fmt.Errorf("Status.Ping: %v", err))
	}
	if err := msgpackrpc.CallWithCodec(fc, "Echo.Fail", &EchoArgs{Value: "boom"}, &empty); err == nil || err.Error() != "echo failure: boom" {
		errCount++
	}
	first.Close()

	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + 3)
	}
	// Every caller's stream is opened before the clock starts. A warm-up phase of the same calls
	// comes first when asked for (the bench gives both implementations the same one), untimed.
	codecs := make([]rpc.ClientCodec, 0, conc)
	for w := 0; w < conc; w++ {
		stream, err := open()
		if err != nil {
			fatal(err)
		}
		defer stream.Close()
		codecs = append(codecs, msgpackrpc.NewCodecFromHandle(true, true, stream, handle))
	}
	lat := make([][]float64, conc)
	phase := func(calls int, record bool) {
		var next int64 = -1
		var wg sync.WaitGroup
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				c := codecs[w]
				for {
					i := int(atomic.AddInt64(&next, 1))
					if i >= calls {
						return
					}
					t0 := time.Now()
					var reply EchoReply
					args := &EchoArgs{Region: "global", Value: fmt.Sprintf("v%d", i), Data: data, N: i}
					if err := msgpackrpc.CallWithCodec(c, "Echo.Echo", args, &reply); err != nil {
						atomic.AddInt64(&errCount, 1)
					} else if reply.Value != args.Value || reply.N != i || reply.Index != uint64(i)+1 || !bytes.Equal(reply.Data, data) {
						atomic.AddInt64(&errCount, 1)
					}
					if record {
						lat[w] = append(lat[w], float64(time.Since(t0).Microseconds()))
					}
				}
			}(w)
		}
		wg.Wait()
	}
	if warmup > 0 {
		phase(warmup, false)
	}
	start := time.Now()
	phase(n, true)
	secs := time.Since(start).Seconds()
	var all []float64
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Float64s(all)
	pct := func(p float64) int64 {
		if len(all) == 0 {
			return 0
		}
		i := int(float64(len(all)) * p)
		if i >= len(all) {
			i = len(all) - 1
		}
		return int64(all[i])
	}
	out, _ := json.Marshal(map[string]interface{}{
		"proto": proto, "tls": tlsConf != nil, "calls": n, "errors": errCount,
		"secs": float64(int64(secs*1000)) / 1000, "callsPerSec": int64(float64(n) / secs),
		"p50us": pct(0.5), "p99us": pct(0.99),
	})
	fmt.Println(string(out))
	if errCount > 0 {
		return 1
	}
	return 0
}

func main() {
	mode := flag.String("mode", "", "server or client")
	bind := flag.String("bind", "127.0.0.1:0", "server listen address")
	addr := flag.String("addr", "", "client target address")
	proto := flag.String("proto", "yamux2", "direct, yamux or yamux2")
	ca := flag.String("tls-ca", "", "CA file")
	cert := flag.String("tls-cert", "", "certificate file")
	key := flag.String("tls-key", "", "key file")
	serverName := flag.String("server-name", "server.global.nomad", "TLS server name")
	n := flag.Int("n", 1000, "calls")
	conc := flag.Int("conc", 1, "concurrent callers")
	size := flag.Int("size", 0, "Data bytes per call")
	warmup := flag.Int("warmup", 0, "untimed calls made first, on the same streams")
	flag.Parse()
	tlsConf := loadTLS(*ca, *cert, *key)
	switch *mode {
	case "server":
		runServer(*bind, tlsConf)
	case "client":
		os.Exit(runClient(*addr, *proto, tlsConf, *serverName, *n, *conc, *size, *warmup))
	default:
		fatal(errors.New("-mode must be server or client"))
	}
}
