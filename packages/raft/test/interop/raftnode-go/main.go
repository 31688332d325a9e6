// Command raftnode-go is the Go twin of nomadic-raftnode: a hashicorp/raft 1.1.2 node with the
// same flags, HTTP API and FSM, used by the interop tests and the benchmark.
//
//	raftnode-go -id ID -bind HOST:PORT -http HOST:PORT -peers id=host:port,... [-bootstrap] [-store mem|disk] [-dir DIR]
//
// Tuning for tests (environment, same names as the TypeScript node): RAFTNODE_SNAPSHOT_INTERVAL_MS,
// RAFTNODE_SNAPSHOT_THRESHOLD, RAFTNODE_TRAILING_LOGS.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb"
)

const fnvOffset = 0xcbf29ce484222325
const fnvPrime = 0x100000001b3

// fsm counts entries and chains FNV-1a 64: hash = fnv1a64(le64(hash) || data).
type fsm struct {
	mu    sync.Mutex
	count uint64
	hash  uint64
}

func chain(prev uint64, data []byte) uint64 {
	var le [8]byte
	binary.LittleEndian.PutUint64(le[:], prev)
	h := uint64(fnvOffset)
	for _, b := range le {
		h ^= uint64(b)
		h *= fnvPrime
	}
	for _, b := range data {
		h ^= uint64(b)
		h *= fnvPrime
	}
	return h
}

func (f *fsm) Apply(l *raft.Log) interface{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count++
	f.hash = chain(f.hash, l.Data)
	return nil
}

type snapshotState struct {
	Count uint64
	Hash  string
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &fsmSnapshot{state: snapshotState{Count: f.count, Hash: fmt.Sprintf("%016x", f.hash)}}, nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var s snapshotState
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return err
	}
	h, err := strconv.ParseUint(s.Hash, 16, 64)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count = s.Count
	f.hash = h
	return nil
}

type fsmSnapshot struct{ state snapshotState }

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	b, _ := json.Marshal(s.state)
	if _, err := sink.Write(b); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func main() {
	id := flag.String("id", "", "server ID")
	bind := flag.String("bind", "", "raft address host:port")
	httpAddr := flag.String("http", "", "HTTP address host:port")
	peers := flag.String("peers", "", "id=host:port,...")
	bootstrap := flag.Bool("bootstrap", false, "bootstrap the cluster from -peers")
	store := flag.String("store", "mem", "mem or disk")
	dir := flag.String("dir", "", "data directory for -store disk")
	flag.Parse()
	if *id == "" || *bind == "" || *httpAddr == "" {
		fmt.Fprintln(os.Stderr, "usage: raftnode-go -id ID -bind HOST:PORT -http HOST:PORT -peers id=host:port,... [-bootstrap] [-store mem|disk] [-dir DIR]")
		os.Exit(2)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "raft", Output: os.Stderr, Level: hclog.Warn})

	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(*id)
	conf.Logger = logger
	conf.SnapshotInterval = time.Duration(envInt("RAFTNODE_SNAPSHOT_INTERVAL_MS", 120000)) * time.Millisecond
	conf.SnapshotThreshold = uint64(envInt("RAFTNODE_SNAPSHOT_THRESHOLD", 8192))
	conf.TrailingLogs = uint64(envInt("RAFTNODE_TRAILING_LOGS", 10240))

	servers := []raft.Server{}
	for _, p := range strings.Split(*peers, ",") {
		if p == "" {
			continue
		}
		kv := strings.SplitN(p, "=", 2)
		if len(kv) != 2 {
			fmt.Fprintf(os.Stderr, "bad -peers entry %q\n", p)
			os.Exit(2)
		}
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(kv[0]), Address: raft.ServerAddress(kv[1])})
	}
	hasSelf := false
	for _, s := range servers {
		hasSelf = hasSelf || s.ID == conf.LocalID
	}
	if !hasSelf {
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: conf.LocalID, Address: raft.ServerAddress(*bind)})
	}

	var logs raft.LogStore
	var stable raft.StableStore
	var snaps raft.SnapshotStore
	if *store == "disk" {
		if *dir == "" {
			fmt.Fprintln(os.Stderr, "-store disk needs -dir")
			os.Exit(2)
		}
		os.MkdirAll(*dir, 0755)
		bolt, err := raftboltdb.NewBoltStore(filepath.Join(*dir, "raft.db"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cache, _ := raft.NewLogCache(512, bolt)
		logs, stable = cache, bolt
		fss, err := raft.NewFileSnapshotStoreWithLogger(*dir, 2, logger)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		snaps = fss
	} else {
		mem := raft.NewInmemStore()
		logs, stable = mem, mem
		snaps = raft.NewInmemSnapshotStore()
	}

	addr, err := net.ResolveTCPAddr("tcp", *bind)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	trans, err := raft.NewTCPTransportWithLogger(*bind, addr, 3, 10*time.Second, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *bootstrap {
		existing, err := raft.HasExistingState(logs, stable, snaps)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if !existing {
			if err := raft.BootstrapCluster(conf, logs, stable, snaps, trans, raft.Configuration{Servers: servers}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	f := &fsm{}
	r, err := raft.NewRaft(conf, f, logs, stable, snaps, trans)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/state", func(w http.ResponseWriter, req *http.Request) {
		f.mu.Lock()
		count, hash := f.count, f.hash
		f.mu.Unlock()
		writeJSON(w, map[string]interface{}{
			"id": *id, "state": r.State().String(), "leader": string(r.Leader()),
			"lastIndex": r.LastIndex(), "appliedIndex": r.AppliedIndex(),
			"count": count, "hash": fmt.Sprintf("%016x", hash),
		})
	})
	mux.HandleFunc("/apply", func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := ioutil.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := r.Apply(body, 10*time.Second).Error(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/load", func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		q := req.URL.Query()
		n, _ := strconv.Atoi(q.Get("n"))
		size, _ := strconv.Atoi(q.Get("size"))
		conc, _ := strconv.Atoi(q.Get("conc"))
		if n <= 0 || size < 0 || conc <= 0 {
			http.Error(w, "n, size and conc must be positive", http.StatusBadRequest)
			return
		}
		if r.State() != raft.Leader {
			http.Error(w, raft.ErrNotLeader.Error(), http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, load(r, n, size, conc))
	})
	go func() {
		if err := http.ListenAndServe(*httpAddr, mux); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}()
	select {}
}

// load runs n applies of size-byte entries with conc in flight and reports throughput and latency.
func load(r *raft.Raft, n, size, conc int) map[string]interface{} {
	var mu sync.Mutex
	var lat []time.Duration
	errors := 0
	next := 0
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, size)
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				for j := range buf {
					buf[j] = byte(i + j)
				}
				data := append([]byte(nil), buf...)
				t := time.Now()
				err := r.Apply(data, 10*time.Second).Error()
				d := time.Since(t)
				mu.Lock()
				if err != nil {
					errors++
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) int64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)-1))
		return lat[i].Microseconds()
	}
	return map[string]interface{}{
		"ops": len(lat), "errors": errors, "secs": secs,
		"opsPerSec": float64(len(lat)) / secs, "p50us": pct(0.5), "p99us": pct(0.99),
	}
}

func writeJSON(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
