// serfagent is a Go serf 0.9.4 agent driven over stdin, for the query interop tests: it
// answers every query with "go:<name>:<payload>" and runs queries with serf's full
// parameters (node and tag filters, acks, relay factor).
//
//	serfagent -name N -bind HOST:PORT [-join HOST:PORT] [-tag k=v]...
//	stdout, once listening: {"gossip":"HOST:PORT"}
//	stdin "query NAME PAYLOAD [ack] [relay=N] [nodes=a,b] [tag=k:regexp] [timeout=ms]"
//	  -> {"acks":[...],"responses":{"node":"payload"}} when the query is over
//	stdin "members" -> [{"name","status","tags"}]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

type tagFlags map[string]string

func (t tagFlags) String() string { return "" }
func (t tagFlags) Set(v string) error {
	kv := strings.SplitN(v, "=", 2)
	if len(kv) != 2 {
		return fmt.Errorf("want k=v")
	}
	t[kv[0]] = kv[1]
	return nil
}

var out sync.Mutex

func emit(v interface{}) {
	b, _ := json.Marshal(v)
	out.Lock()
	fmt.Println(string(b))
	out.Unlock()
}

func main() {
	name := flag.String("name", "", "node name")
	bind := flag.String("bind", "127.0.0.1:0", "gossip address")
	join := flag.String("join", "", "address to join")
	tags := tagFlags{}
	flag.Var(tags, "tag", "k=v")
	flag.Parse()

	host, portStr, err := net.SplitHostPort(*bind)
	if err != nil {
		panic(err)
	}
	port, _ := strconv.Atoi(portStr)
	if port == 0 {
		// Pick a free port that serves both UDP and TCP.
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			panic(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}

	conf := serf.DefaultConfig()
	conf.MemberlistConfig = memberlist.DefaultLANConfig()
	conf.NodeName = *name
	conf.Tags = tags
	conf.MemberlistConfig.BindAddr = host
	conf.MemberlistConfig.BindPort = port
	conf.MemberlistConfig.AdvertiseAddr = host
	conf.MemberlistConfig.AdvertisePort = port
	conf.LogOutput = ioutil.Discard
	conf.MemberlistConfig.LogOutput = ioutil.Discard
	events := make(chan serf.Event, 256)
	conf.EventCh = events
	s, err := serf.Create(conf)
	if err != nil {
		panic(err)
	}
	go func() {
		for e := range events {
			if q, ok := e.(*serf.Query); ok {
				q.Respond([]byte(fmt.Sprintf("go:%s:%s", *name, q.Payload)))
			}
		}
	}()
	if *join != "" {
		if _, err := s.Join([]string{*join}, false); err != nil {
			panic(err)
		}
	}
	emit(map[string]string{"gossip": net.JoinHostPort(host, strconv.Itoa(port))})

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "members":
			list := []map[string]interface{}{}
			for _, m := range s.Members() {
				list = append(list, map[string]interface{}{"name": m.Name, "status": m.Status.String(), "tags": m.Tags})
			}
			emit(list)
		case "query":
			go runQuery(s, f[1], f[2], f[3:])
		}
	}
	s.Shutdown()
}

func runQuery(s *serf.Serf, name, payload string, opts []string) {
	p := s.DefaultQueryParams()
	p.FilterTags = map[string]string{}
	for _, o := range opts {
		kv := strings.SplitN(o, "=", 2)
		switch kv[0] {
		case "ack":
			p.RequestAck = true
		case "relay":
			n, _ := strconv.Atoi(kv[1])
			p.RelayFactor = uint8(n)
		case "nodes":
			p.FilterNodes = strings.Split(kv[1], ",")
		case "tag":
			tv := strings.SplitN(kv[1], ":", 2)
			p.FilterTags[tv[0]] = tv[1]
		case "timeout":
			ms, _ := strconv.Atoi(kv[1])
			p.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
	resp, err := s.Query(name, []byte(payload), p)
	if err != nil {
		emit(map[string]string{"error": err.Error()})
		return
	}
	acks := []string{}
	responses := map[string]string{}
	ackCh, respCh := resp.AckCh(), resp.ResponseCh()
	for ackCh != nil || respCh != nil {
		select {
		case a, ok := <-ackCh:
			if !ok {
				ackCh = nil
				continue
			}
			acks = append(acks, a)
		case r, ok := <-respCh:
			if !ok {
				respCh = nil
				continue
			}
			responses[r.From] = string(r.Payload)
		}
	}
	emit(map[string]interface{}{"acks": acks, "responses": responses})
}
