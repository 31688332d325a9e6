// Reference for bench/handshake.ts: the same loopback mutual-TLS handshakes in Go's crypto/tls,
// with Nomad's role and region check as VerifyPeerCertificate on the server side.
// Usage: handshake <dir> <count>; prints {"handshakes":N,"seconds":S}.
package main

import (
	"crypto/tls"
	"crypto/x509"
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

func allowed(name, region string) bool {
	labels := strings.Split(name, ".")
	if len(labels) < 3 || labels[len(labels)-1] != "nomad" {
		return false
	}
	if labels[0] == "client" {
		return name == "client."+region+".nomad"
	}
	return labels[0] == "server"
}

func regionCheck(region string) func([][]byte, [][]*x509.Certificate) error {
	return func(_ [][]byte, chains [][]*x509.Certificate) error {
		if len(chains) == 0 || len(chains[0]) == 0 {
			return errors.New("no verified chain")
		}
		leaf := chains[0][0]
		for _, name := range append(append([]string{}, leaf.DNSNames...), leaf.Subject.CommonName) {
			if allowed(name, region) {
				return nil
			}
		}
		return errors.New("invalid role or region for certificate")
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	dir := os.Args[1]
	count, err := strconv.Atoi(os.Args[2])
	must(err)
	caPEM, err := os.ReadFile(filepath.Join(dir, "nomad-agent-ca.pem"))
	must(err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	pair := func(name string) tls.Certificate {
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem"))
		must(err)
		return cert
	}
	serverConf := &tls.Config{
		Certificates:           []tls.Certificate{pair("global-server-nomad")},
		ClientCAs:              pool,
		ClientAuth:             tls.RequireAndVerifyClientCert,
		MinVersion:             tls.VersionTLS12,
		VerifyPeerCertificate:  regionCheck("global"),
		SessionTicketsDisabled: true,
	}
	clientConf := &tls.Config{
		Certificates: []tls.Certificate{pair("global-client-nomad")},
		RootCAs:      pool,
		ServerName:   "server.global.nomad",
		MinVersion:   tls.VersionTLS12,
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				defer conn.Close()
				secure := tls.Server(conn, serverConf)
				if secure.Handshake() == nil {
					io.Copy(secure, secure)
				}
			}(conn)
		}
	}()
	start := time.Now()
	buf := make([]byte, 1)
	for i := 0; i < count; i++ {
		conn, err := net.Dial("tcp", listener.Addr().String())
		must(err)
		secure := tls.Client(conn, clientConf)
		must(secure.Handshake())
		// one byte round trip: the server has judged our certificate by then
		_, err = secure.Write([]byte{1})
		must(err)
		_, err = io.ReadFull(secure, buf)
		must(err)
		secure.Close()
	}
	fmt.Printf("{\"handshakes\":%d,\"seconds\":%f}\n", count, time.Since(start).Seconds())
}
