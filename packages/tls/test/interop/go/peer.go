// A Go crypto/tls peer for the interop tests, configured as Nomad configures its RPC TLS:
// the server requires and verifies client certificates and applies the role and region rule
// in VerifyPeerCertificate; the client sets ServerName server.<region>.nomad.
//
//	peer server <dir> <cert> <region>      prints the port, then one JSON line per connection
//	peer client <dir> <cert> <port> <region> <verifyHostname>   prints one JSON line
//	peer bench <dir> <count>               global-client against global-server, count handshakes
//	                                       in a row; prints {"handshakes":N,"seconds":S}
//
// bench/handshake.ts uses the bench mode as its Go reference.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func passes(name, region string) bool {
	labels := strings.Split(name, ".")
	if len(labels) < 3 || labels[len(labels)-1] != "nomad" {
		return false
	}
	if labels[0] == "client" {
		return name == "client."+region+".nomad"
	}
	return labels[0] == "server"
}

func regionRule(region string) func([][]byte, [][]*x509.Certificate) error {
	return func(_ [][]byte, chains [][]*x509.Certificate) error {
		if len(chains) == 0 || len(chains[0]) == 0 {
			return errors.New("no verified chain")
		}
		leaf := chains[0][0]
		for _, name := range leaf.DNSNames {
			if passes(name, region) {
				return nil
			}
		}
		if passes(leaf.Subject.CommonName, region) {
			return nil
		}
		return errors.New("invalid role or region for certificate")
	}
}

func report(fields map[string]interface{}) {
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}

func fail(err error) {
	report(map[string]interface{}{"ok": false, "error": err.Error()})
	os.Exit(0)
}

func main() {
	dir, certName := os.Args[2], os.Args[3]
	if os.Args[1] == "bench" {
		certName = "global-client-nomad"
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, "nomad-agent-ca.pem"))
	if err != nil {
		fail(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, certName+".pem"), filepath.Join(dir, certName+"-key.pem"))
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "server":
		serve(pool, pair, os.Args[4])
	case "bench":
		count, err := strconv.Atoi(os.Args[3])
		if err != nil {
			fail(err)
		}
		bench(dir, pool, count)
	default:
		dial(pool, pair, os.Args[4], os.Args[5], os.Args[6] == "true")
	}
}

func serverConfig(pool *x509.CertPool, pair tls.Certificate, region string) *tls.Config {
	return &tls.Config{
		Certificates:          []tls.Certificate{pair},
		ClientCAs:             pool,
		ClientAuth:            tls.RequireAndVerifyClientCert,
		MinVersion:            tls.VersionTLS12,
		VerifyPeerCertificate: regionRule(region),
	}
}

// echoTLS accepts connections on listener, handshakes each as the TLS server, tells onHandshake
// the outcome, and echoes what an accepted peer sends.
func echoTLS(listener net.Listener, conf *tls.Config, onHandshake func(*tls.Conn, error)) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go func(conn net.Conn) {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			secure := tls.Server(conn, conf)
			err := secure.Handshake()
			onHandshake(secure, err)
			if err == nil {
				io.Copy(secure, secure)
			}
		}(conn)
	}
}

func serve(pool *x509.CertPool, pair tls.Certificate, region string) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	// stdin closing is the signal to stop
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	echoTLS(listener, serverConfig(pool, pair, region), func(secure *tls.Conn, err error) {
		if err != nil {
			report(map[string]interface{}{"ok": false, "error": err.Error()})
			return
		}
		state := secure.ConnectionState()
		report(map[string]interface{}{"ok": true, "peer": state.PeerCertificates[0].Subject.CommonName, "serverName": state.ServerName})
	})
}

func dial(pool *x509.CertPool, pair tls.Certificate, port, region string, verifyHostname bool) {
	conf := &tls.Config{
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
		ServerName:   "server." + region + ".nomad",
		MinVersion:   tls.VersionTLS12,
	}
	if !verifyHostname {
		// as Nomad without verify_server_hostname: the chain only, checked by hand
		conf.InsecureSkipVerify = true
		conf.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			certs := make([]*x509.Certificate, len(raw))
			for i, der := range raw {
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return err
				}
				certs[i] = cert
			}
			intermediates := x509.NewCertPool()
			for _, cert := range certs[1:] {
				intermediates.AddCert(cert)
			}
			_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: intermediates})
			return err
		}
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 10*time.Second)
	if err != nil {
		fail(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	secure := tls.Client(conn, conf)
	if err := secure.Handshake(); err != nil {
		fail(err)
	}
	if _, err := secure.Write([]byte("ping")); err != nil {
		fail(err)
	}
	reply := make([]byte, 4)
	if _, err := io.ReadFull(secure, reply); err != nil {
		fail(err)
	}
	report(map[string]interface{}{"ok": true, "reply": string(reply), "peer": secure.ConnectionState().PeerCertificates[0].Subject.CommonName})
}

// bench: sequential handshakes of a client of region global against a server of region global,
// each followed by a one-byte round trip (the server has judged the client by then).
func bench(dir string, pool *x509.CertPool, count int) {
	serverPair, err := tls.LoadX509KeyPair(filepath.Join(dir, "global-server-nomad.pem"), filepath.Join(dir, "global-server-nomad-key.pem"))
	if err != nil {
		fail(err)
	}
	clientPair, err := tls.LoadX509KeyPair(filepath.Join(dir, "global-client-nomad.pem"), filepath.Join(dir, "global-client-nomad-key.pem"))
	if err != nil {
		fail(err)
	}
	serverConf := serverConfig(pool, serverPair, "global")
	serverConf.SessionTicketsDisabled = true
	clientConf := &tls.Config{Certificates: []tls.Certificate{clientPair}, RootCAs: pool, ServerName: "server.global.nomad", MinVersion: tls.VersionTLS12}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go echoTLS(listener, serverConf, func(*tls.Conn, error) {})
	start := time.Now()
	one := make([]byte, 1)
	for i := 0; i < count; i++ {
		conn, err := net.Dial("tcp", listener.Addr().String())
		if err != nil {
			fail(err)
		}
		secure := tls.Client(conn, clientConf)
		if err := secure.Handshake(); err != nil {
			fail(err)
		}
		if _, err := secure.Write(one); err != nil {
			fail(err)
		}
		if _, err := io.ReadFull(secure, one); err != nil {
			fail(err)
		}
		secure.Close()
	}
	fmt.Printf("{\"handshakes\":%d,\"seconds\":%f}\n", count, time.Since(start).Seconds())
}
