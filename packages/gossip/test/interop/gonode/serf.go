package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if ms, err := strconv.Atoi(v); err == nil {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return def
}

func names(ms []serf.Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// runSerf is the -layer serf program: a serf 0.9.4 agent with the HTTP API of nomadic-gossipnode.
func runSerf(name, bind, httpAddr, join, profile, key, snapshot string, tagMap map[string]string) {
	conf := serf.DefaultConfig()
	switch profile {
	case "wan":
		conf.MemberlistConfig = memberlist.DefaultWANConfig()
	case "local":
		conf.MemberlistConfig = memberlist.DefaultLocalConfig()
	default:
		conf.MemberlistConfig = memberlist.DefaultLANConfig()
	}
	host, portStr, err := net.SplitHostPort(bind)
	if err != nil {
		panic(err)
	}
	port, _ := strconv.Atoi(portStr)
	conf.NodeName = name
	conf.Tags = tagMap
	conf.MemberlistConfig.BindAddr = host
	conf.MemberlistConfig.BindPort = port
	conf.MemberlistConfig.AdvertiseAddr = host
	conf.MemberlistConfig.AdvertisePort = port
	conf.ReapInterval = envDuration("GOSSIP_REAP_INTERVAL", conf.ReapInterval)
	conf.ReconnectTimeout = envDuration("GOSSIP_RECONNECT_TIMEOUT", conf.ReconnectTimeout)
	conf.TombstoneTimeout = envDuration("GOSSIP_TOMBSTONE_TIMEOUT", conf.TombstoneTimeout)
	conf.SnapshotPath = snapshot
	conf.RejoinAfterLeave = true
	if os.Getenv("GOSSIP_DEBUG") == "" {
		conf.LogOutput = ioutil.Discard
		conf.MemberlistConfig.LogOutput = ioutil.Discard
	}
	if key != "" {
		k, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			panic(err)
		}
		kr, err := memberlist.NewKeyring(nil, k)
		if err != nil {
			panic(err)
		}
		conf.MemberlistConfig.Keyring = kr
	}
	eventCh := make(chan serf.Event, 1024)
	conf.EventCh = eventCh
	s, err := serf.Create(conf)
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	events := []event{}
	go func() {
		for e := range eventCh {
			var ev event
			switch x := e.(type) {
			case serf.MemberEvent:
				ev = event{Type: x.Type.String(), Members: names(x.Members)}
				if len(x.Members) > 0 {
					ev.Name = x.Members[0].Name
				}
			case serf.UserEvent:
				ev = event{Type: "user", Name: x.Name, Payload: string(x.Payload), Members: []string{}}
			case *serf.Query:
				ev = event{Type: "query", Name: x.Name, Payload: string(x.Payload), Members: []string{}}
				x.Respond([]byte("ack:" + name + ":" + string(x.Payload)))
			default:
				continue
			}
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		}
	}()
	if join != "" {
		if _, err := s.Join(strings.Split(join, ","), true); err != nil {
			fmt.Fprintln(os.Stderr, "join:", err)
		}
	}

	writeJSON := func(w http.ResponseWriter, v interface{}) {
		w.Header().Set("content-type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	body := func(r *http.Request) []byte {
		b, _ := ioutil.ReadAll(r.Body)
		return b
	}
	keyResp := func(w http.ResponseWriter, resp *serf.KeyResponse, err error) {
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		out := map[string]interface{}{"error": msg}
		if resp != nil {
			out["numNodes"] = resp.NumNodes
			out["numResp"] = resp.NumResp
			out["numErr"] = resp.NumErr
			out["keys"] = resp.Keys
		}
		writeJSON(w, out)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/members", func(w http.ResponseWriter, r *http.Request) {
		out := []map[string]interface{}{}
		for _, m := range s.Members() {
			out = append(out, map[string]interface{}{
				"name": m.Name, "addr": m.Addr.String(), "port": m.Port, "status": m.Status.String(), "tags": m.Tags,
			})
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, events)
	})
	mux.HandleFunc("/event", func(w http.ResponseWriter, r *http.Request) {
		err := s.UserEvent(r.URL.Query().Get("name"), body(r), r.URL.Query().Get("coalesce") == "1")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeJSON(w, map[string]string{})
	})
	mux.HandleFunc("/query", func(w http.ResponseWriter, r *http.Request) {
		resp, err := s.Query(r.URL.Query().Get("name"), body(r), &serf.QueryParam{Timeout: 3 * time.Second})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := map[string]string{}
		for nr := range resp.ResponseCh() {
			out[nr.From] = string(nr.Payload)
		}
		writeJSON(w, map[string]interface{}{"responses": out})
	})
	mux.HandleFunc("/tags", func(w http.ResponseWriter, r *http.Request) {
		tags := map[string]string{}
		for k, v := range r.URL.Query() {
			tags[k] = v[0]
		}
		if err := s.SetTags(tags); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		writeJSON(w, map[string]string{})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		resp, err := s.KeyManager().ListKeys()
		keyResp(w, resp, err)
	})
	for _, op := range []string{"install", "use", "remove"} {
		op := op
		mux.HandleFunc("/keys/"+op, func(w http.ResponseWriter, r *http.Request) {
			k := r.URL.Query().Get("key")
			var resp *serf.KeyResponse
			var err error
			switch op {
			case "install":
				resp, err = s.KeyManager().InstallKey(k)
			case "use":
				resp, err = s.KeyManager().UseKey(k)
			default:
				resp, err = s.KeyManager().RemoveKey(k)
			}
			keyResp(w, resp, err)
		})
	}
	mux.HandleFunc("/leave", func(w http.ResponseWriter, r *http.Request) {
		err := s.Leave()
		s.Shutdown()
		if err != nil {
			http.Error(w, err.Error(), 500)
		} else {
			w.Write([]byte("{}"))
		}
		go func() { time.Sleep(100 * time.Millisecond); os.Exit(0) }()
	})
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		panic(err)
	}
	local := s.LocalMember()
	fmt.Printf("{\"gossip\":\"%s:%d\",\"http\":\"%s\"}\n", local.Addr, local.Port, ln.Addr().String())
	http.Serve(ln, mux)
}
