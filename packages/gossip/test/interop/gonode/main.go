// Go twin of nomadic-gossipnode, built on Debian's hashicorp/memberlist 0.2.2, for interop tests.
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/hashicorp/go-msgpack/codec"
	"github.com/hashicorp/memberlist"
)

type tagList []string

func (t *tagList) String() string     { return strings.Join(*t, ",") }
func (t *tagList) Set(v string) error { *t = append(*t, v); return nil }

type event struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Payload string   `json:"payload"`
	Members []string `json:"members"`
}

type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) add(typ string, n *memberlist.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{Type: typ, Name: n.Name, Payload: "", Members: []string{n.Name}})
}
func (r *recorder) NotifyJoin(n *memberlist.Node)   { r.add("member-join", n) }
func (r *recorder) NotifyUpdate(n *memberlist.Node) { r.add("member-update", n) }
// nodeStateMirror has the layout of memberlist 0.2.2's unexported nodeState, whose first field
// is the Node handed to NotifyLeave. 0.2.2 never copies the state into Node.State, so the only
// way to tell a leave from a failure here is to read the enclosing struct.
type nodeStateMirror struct {
	memberlist.Node
	Incarnation uint32
	State       memberlist.NodeStateType
	StateChange time.Time
}

func (r *recorder) NotifyLeave(n *memberlist.Node) {
	state := (*nodeStateMirror)(unsafe.Pointer(n)).State
	if state == memberlist.StateLeft {
		r.add("member-leave", n)
	} else {
		r.add("member-failed", n)
	}
}

type delegate struct{ meta []byte }

func (d *delegate) NodeMeta(limit int) []byte                  { return d.meta }
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// Tags travel as serf does: 0xFF then a msgpack map of strings.
func encodeTags(tags map[string]string) []byte {
	var out []byte
	out = append(out, 0xff)
	var buf []byte
	if err := codec.NewEncoderBytes(&buf, &codec.MsgpackHandle{}).Encode(tags); err != nil {
		panic(err)
	}
	return append(out, buf...)
}

func decodeTags(meta []byte) map[string]string {
	tags := map[string]string{}
	if len(meta) > 0 && meta[0] == 0xff {
		_ = codec.NewDecoderBytes(meta[1:], &codec.MsgpackHandle{}).Decode(&tags)
	} else if len(meta) > 0 {
		tags["role"] = string(meta)
	}
	return tags
}

func main() {
	layer := flag.String("layer", "memberlist", "memberlist|serf")
	name := flag.String("name", "", "node name")
	bind := flag.String("bind", "127.0.0.1:0", "HOST:PORT")
	httpAddr := flag.String("http", "127.0.0.1:0", "HOST:PORT")
	join := flag.String("join", "", "HOST:PORT[,...]")
	profile := flag.String("profile", "lan", "lan|wan|local")
	key := flag.String("key", "", "base64 key")
	var tags tagList
	flag.Var(&tags, "tag", "k=v")
	snapshot := flag.String("snapshot", "", "serf snapshot file")
	flag.Parse()
	if *layer != "memberlist" && *layer != "serf" {
		fmt.Fprintln(os.Stderr, "-layer must be memberlist or serf")
		os.Exit(2)
	}

	tagMap := map[string]string{}
	for _, t := range tags {
		kv := strings.SplitN(t, "=", 2)
		if len(kv) == 2 {
			tagMap[kv[0]] = kv[1]
		}
	}
	if *layer == "serf" {
		runSerf(*name, *bind, *httpAddr, *join, *profile, *key, *snapshot, tagMap)
		return
	}
	var conf *memberlist.Config
	switch *profile {
	case "wan":
		conf = memberlist.DefaultWANConfig()
	case "local":
		conf = memberlist.DefaultLocalConfig()
	default:
		conf = memberlist.DefaultLANConfig()
	}
	host, portStr, err := net.SplitHostPort(*bind)
	if err != nil {
		panic(err)
	}
	port, _ := strconv.Atoi(portStr)
	conf.Name = *name
	conf.BindAddr = host
	conf.BindPort = port
	conf.AdvertiseAddr = host
	conf.AdvertisePort = port
	if os.Getenv("GOSSIP_DEBUG") == "" {
		conf.LogOutput = ioutil.Discard
	}
	if *key != "" {
		k, err := base64.StdEncoding.DecodeString(*key)
		if err != nil {
			panic(err)
		}
		conf.SecretKey = k
	}
	rec := &recorder{}
	conf.Events = rec
	conf.Delegate = &delegate{meta: encodeTags(tagMap)}
	ml, err := memberlist.Create(conf)
	if err != nil {
		panic(err)
	}
	if *join != "" {
		if _, err := ml.Join(strings.Split(*join, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "join:", err)
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/members", func(w http.ResponseWriter, r *http.Request) {
		out := []map[string]interface{}{}
		for _, n := range ml.Members() {
			if n.State != memberlist.StateAlive {
				continue
			}
			out = append(out, map[string]interface{}{
				"name": n.Name, "addr": n.Addr.String(), "port": n.Port, "status": "alive", "tags": decodeTags(n.Meta),
			})
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		json.NewEncoder(w).Encode(rec.events)
	})
	mux.HandleFunc("/leave", func(w http.ResponseWriter, r *http.Request) {
		err := ml.Leave(5 * time.Second)
		ml.Shutdown()
		if err != nil {
			http.Error(w, err.Error(), 500)
		} else {
			w.Write([]byte("{}"))
		}
		go func() { time.Sleep(100 * time.Millisecond); os.Exit(0) }()
	})
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		panic(err)
	}
	fmt.Printf("{\"gossip\":\"%s:%d\",\"http\":\"%s\"}\n", conf.AdvertiseAddr, conf.AdvertisePort, ln.Addr().String())
	http.Serve(ln, mux)
}
