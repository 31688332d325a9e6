// serfcodec prints golden serf 0.9.4 message encodings and decodes messages written by nomadic.
//
// The structs below have the field names and Go types of serf's unexported message structs
// (serf/messages.go, internal_query.go, keymanager.go, serf.go Member); go-msgpack encodes a
// struct from exactly those, so the bytes are the bytes serf itself sends.
//
//	serfcodec            -> JSON {"name": "hex", ...}
//	serfcodec decode     <- lines "name hex"; -> lines "name hex" re-encoded by Go after decoding
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
	"github.com/hashicorp/serf/serf"
)

type messageJoin struct {
	LTime serf.LamportTime
	Node  string
}

type messageLeave struct {
	LTime serf.LamportTime
	Node  string
	Prune bool
}

type userEvent struct {
	Name    string
	Payload []byte
}

type userEvents struct {
	LTime  serf.LamportTime
	Events []userEvent
}

type messagePushPull struct {
	LTime        serf.LamportTime
	StatusLTimes map[string]serf.LamportTime
	LeftMembers  []string
	EventLTime   serf.LamportTime
	Events       []*userEvents
	QueryLTime   serf.LamportTime
}

type messageUserEvent struct {
	LTime   serf.LamportTime
	Name    string
	Payload []byte
	CC      bool
}

type messageQuery struct {
	LTime       serf.LamportTime
	ID          uint32
	Addr        []byte
	Port        uint16
	SourceNode  string
	Filters     [][]byte
	Flags       uint32
	RelayFactor uint8
	Timeout     time.Duration
	Name        string
	Payload     []byte
}

type messageQueryResponse struct {
	LTime   serf.LamportTime
	ID      uint32
	From    string
	Flags   uint32
	Payload []byte
}

type filterTag struct {
	Tag  string
	Expr string
}

type keyRequest struct {
	Key []byte
}

type nodeKeyResponse struct {
	Result     bool
	Message    string
	Keys       []string
	PrimaryKey string
}

type relayHeader struct {
	DestAddr net.UDPAddr
	DestName string
}

// Serf message type bytes (serf/messages.go).
const (
	typeLeave byte = iota
	typeJoin
	typePushPull
	typeUserEvent
	typeQuery
	typeQueryResponse
	typeConflictResponse
	typeKeyRequest
	typeKeyResponse
	typeRelay
)

func enc(v interface{}) []byte {
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf, &codec.MsgpackHandle{}).Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func msg(t byte, v interface{}) []byte { return append([]byte{t}, enc(v)...) }

func dec(b []byte, out interface{}) {
	if err := codec.NewDecoder(bytes.NewReader(b), &codec.MsgpackHandle{}).Decode(out); err != nil {
		panic(err)
	}
}

// samples are the messages the golden file holds; the TypeScript test builds the same values.
func samples() map[string][]byte {
	nodeFilter := append([]byte{0}, enc([]string{"a", "b"})...)
	tagFilter := append([]byte{1}, enc(filterTag{Tag: "role", Expr: "^serv"})...)
	member := serf.Member{Name: "n1", Addr: net.IP{127, 0, 0, 1}, Port: 7946, Tags: map[string]string{"role": "server"},
		Status: serf.StatusAlive, ProtocolMin: 1, ProtocolMax: 5, ProtocolCur: 2, DelegateMin: 2, DelegateMax: 5, DelegateCur: 4}
	resp := messageQueryResponse{LTime: 7, ID: 99, From: "n2", Flags: 0, Payload: []byte("pong")}
	relay := append([]byte{typeRelay}, enc(relayHeader{DestAddr: net.UDPAddr{IP: net.IP{127, 0, 0, 1}, Port: 7946}, DestName: "n1"})...)
	relay = append(relay, msg(typeQueryResponse, &resp)...)
	return map[string][]byte{
		"join":      msg(typeJoin, &messageJoin{LTime: 5, Node: "a"}),
		"leave":     msg(typeLeave, &messageLeave{LTime: 300, Node: "node-b", Prune: true}),
		"userEvent": msg(typeUserEvent, &messageUserEvent{LTime: 70000, Name: "deploy", Payload: []byte("v1"), CC: true}),
		"pushPull": msg(typePushPull, &messagePushPull{LTime: 9, StatusLTimes: map[string]serf.LamportTime{"a": 3},
			LeftMembers: []string{"b"}, EventLTime: 4,
			Events: []*userEvents{nil, {LTime: 1, Events: []userEvent{{Name: "deploy", Payload: []byte("x")}}}}, QueryLTime: 2}),
		"query": msg(typeQuery, &messageQuery{LTime: 12, ID: 123456789, Addr: []byte{127, 0, 0, 1}, Port: 7946, SourceNode: "n1",
			Filters: [][]byte{nodeFilter, tagFilter}, Flags: 1, RelayFactor: 2, Timeout: 5 * time.Second, Name: "status", Payload: []byte("hi")}),
		"queryResponse":    msg(typeQueryResponse, &resp),
		"ack":              msg(typeQueryResponse, &messageQueryResponse{LTime: 7, ID: 99, From: "n3", Flags: 1}),
		"nodeFilter":       nodeFilter,
		"tagFilter":        tagFilter,
		"keyRequest":       msg(typeKeyRequest, &keyRequest{Key: bytes.Repeat([]byte{7}, 16)}),
		"keyResponse":      msg(typeKeyResponse, &nodeKeyResponse{Result: true, Message: "", Keys: []string{"BwcHBwcHBwcHBwcHBwcHBw=="}, PrimaryKey: "BwcHBwcHBwcHBwcHBwcHBw=="}),
		"conflictResponse": msg(typeConflictResponse, &member),
		"relay":            relay,
		"tags":             append([]byte{0xff}, enc(map[string]string{"role": "nomad"})...),
	}
}

// shapes gives, per sample name, an empty value of the Go type that message decodes into.
var shapes = map[string]func() interface{}{
	"join":             func() interface{} { return &messageJoin{} },
	"leave":            func() interface{} { return &messageLeave{} },
	"userEvent":        func() interface{} { return &messageUserEvent{} },
	"pushPull":         func() interface{} { return &messagePushPull{} },
	"query":            func() interface{} { return &messageQuery{} },
	"queryResponse":    func() interface{} { return &messageQueryResponse{} },
	"ack":              func() interface{} { return &messageQueryResponse{} },
	"nodeFilter":       func() interface{} { return &[]string{} },
	"tagFilter":        func() interface{} { return &filterTag{} },
	"keyRequest":       func() interface{} { return &keyRequest{} },
	"keyResponse":      func() interface{} { return &nodeKeyResponse{} },
	"conflictResponse": func() interface{} { return &serf.Member{} },
	"tags":             func() interface{} { return &map[string]string{} },
}

// redecode decodes a message written by nomadic into serf's struct and encodes it again.
// Every sample is a type byte and one msgpack value, except the relay, which wraps a response.
func redecode(name string, b []byte) []byte {
	if name == "relay" {
		r := bytes.NewReader(b[1:])
		var h relayHeader
		if err := codec.NewDecoder(r, &codec.MsgpackHandle{}).Decode(&h); err != nil {
			panic(err)
		}
		inner := b[len(b)-r.Len():]
		return append(msg(b[0], &h), redecode("queryResponse", inner)...)
	}
	shape, ok := shapes[name]
	if !ok {
		panic("unknown message " + name)
	}
	v := shape()
	dec(b[1:], v)
	return msg(b[0], v)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "decode" {
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			parts := strings.Fields(sc.Text())
			if len(parts) != 2 {
				continue
			}
			b, err := hex.DecodeString(parts[1])
			if err != nil {
				panic(err)
			}
			fmt.Printf("%s %s\n", parts[0], hex.EncodeToString(redecode(parts[0], b)))
		}
		return
	}
	s := samples()
	names := make([]string, 0, len(s))
	for k := range s {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make(map[string]string, len(s))
	for _, k := range names {
		out[k] = hex.EncodeToString(s[k])
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
}
