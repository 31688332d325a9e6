// Command snapshot-go writes and reads snapshots with hashicorp/raft 1.1.2's FileSnapshotStore,
// so the tests can check that the TypeScript FileSnapshotStore reads Go's and Go reads its.
//
//	snapshot-go -dir DIR -data TEXT write   # index 42, term 3, configuration n1 (voter), n2 (nonvoter)
//	snapshot-go -dir DIR read               # prints the newest snapshot's meta and data as JSON
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"

	"github.com/hashicorp/raft"
)

func main() {
	dir := flag.String("dir", "", "base directory")
	data := flag.String("data", "", "snapshot contents for write")
	flag.Parse()
	store, err := raft.NewFileSnapshotStore(*dir, 2, ioutil.Discard)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch flag.Arg(0) {
	case "write":
		_, trans := raft.NewInmemTransport("")
		conf := raft.Configuration{Servers: []raft.Server{
			{Suffrage: raft.Voter, ID: "n1", Address: "127.0.0.1:7001"},
			{Suffrage: raft.Nonvoter, ID: "n2", Address: "127.0.0.1:7002"},
		}}
		sink, err := store.Create(1, 42, 3, conf, 7, trans)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		sink.Write([]byte(*data))
		if err := sink.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("{\"id\":%q}\n", sink.ID())
	case "read":
		list, err := store.List()
		if err != nil || len(list) == 0 {
			fmt.Fprintln(os.Stderr, "no snapshot", err)
			os.Exit(1)
		}
		meta, rc, err := store.Open(list[0].ID)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b, _ := ioutil.ReadAll(rc)
		rc.Close()
		out, _ := json.Marshal(map[string]interface{}{"meta": meta, "data": string(b)})
		fmt.Println(string(out))
	default:
		os.Exit(2)
	}
}
