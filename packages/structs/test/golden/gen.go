// Command gen writes the golden FSM messages of @nomadic/structs: Nomad v0.12 request structs
// (the subset the tests cover, same field names, order and codec tags) encoded the way Nomad's
// structs.Encode does it — type byte + msgpack with a MsgpackHandle whose RawToString is true
// (WriteExt left false, so strings and []byte are old-spec raw strings and time.Time goes
// through MarshalBinary). Built against Debian's github.com/hashicorp/go-msgpack.
//
//	gen              prints the vectors as JSON
//	gen roundtrip    reads [{name,type,hex}] on stdin, decodes each into its Go struct,
//	                 re-encodes it and prints the same shape (proves Go reads our bytes)
//	gen bench N      decodes and encodes the apply-plan-results vector N times and prints
//	                 {"decodeNsPerOp":…,"encodeNsPerOp":…} (the benchmark's Go side)
package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
)

type InternalRpcInfo struct{ Forwarded bool }

type WriteRequest struct {
	Region    string
	Namespace string
	AuthToken string
	InternalRpcInfo
}

type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

type DNSConfig struct {
	Servers  []string
	Searches []string
	Options  []string
}

type NetworkResource struct {
	Mode          string
	Device        string
	CIDR          string
	IP            string
	MBits         int
	DNS           *DNSConfig
	ReservedPorts []Port
	DynamicPorts  []Port
}

type Constraint struct {
	LTarget string
	RTarget string
	Operand string
	str     string
}

type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	Weight  int8
	str     string
}

type SpreadTarget struct {
	Value   string
	Percent uint8
	str     string
}

type Spread struct {
	Attribute    string
	Weight       int8
	SpreadTarget []*SpreadTarget
	str          string
}

type RequestedDevice struct {
	Name        string
	Count       uint64
	Constraints []*Constraint
	Affinities  []*Affinity
}

type Resources struct {
	CPU      int
	MemoryMB int
	DiskMB   int
	IOPS     int
	Networks []*NetworkResource
	Devices  []*RequestedDevice
}

type UpdateStrategy struct {
	Stagger          time.Duration
	MaxParallel      int
	HealthCheck      string
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	AutoRevert       bool
	AutoPromote      bool
	Canary           int
}

type ReschedulePolicy struct {
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string
	MaxDelay      time.Duration
	Unlimited     bool
}

type RestartPolicy struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     string
}

type MigrateStrategy struct {
	MaxParallel     int
	HealthCheck     string
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
}

type PeriodicConfig struct {
	Enabled         bool
	Spec            string
	SpecType        string
	ProhibitOverlap bool
	TimeZone        string
}

type ParameterizedJobConfig struct {
	Payload      string
	MetaRequired []string
	MetaOptional []string
}

type EphemeralDisk struct {
	Sticky  bool
	SizeMB  int
	Migrate bool
}

type LogConfig struct {
	MaxFiles      int
	MaxFileSizeMB int
}

type TaskLifecycleConfig struct {
	Hook    string
	Sidecar bool
}

type DispatchPayloadConfig struct{ File string }

// Opaque is a stand-in for blocks the vectors leave nil (services, vault, templates…).
type Opaque struct{ Name string }

type Task struct {
	Name            string
	Driver          string
	User            string
	Config          map[string]interface{}
	Env             map[string]string
	Services        []*Opaque
	Vault           *Opaque
	Templates       []*Opaque
	Constraints     []*Constraint
	Affinities      []*Affinity
	Resources       *Resources
	RestartPolicy   *RestartPolicy
	DispatchPayload *DispatchPayloadConfig
	Lifecycle       *TaskLifecycleConfig
	Meta            map[string]string
	KillTimeout     time.Duration
	LogConfig       *LogConfig
	Artifacts       []*Opaque
	Leader          bool
	ShutdownDelay   time.Duration
	VolumeMounts    []*Opaque
	KillSignal      string
	Kind            string
	CSIPluginConfig *Opaque
}

type TaskGroup struct {
	Name                      string
	Count                     int
	Update                    *UpdateStrategy
	Migrate                   *MigrateStrategy
	Constraints               []*Constraint
	Scaling                   *Opaque
	RestartPolicy             *RestartPolicy
	Tasks                     []*Task
	EphemeralDisk             *EphemeralDisk
	Meta                      map[string]string
	ReschedulePolicy          *ReschedulePolicy
	Affinities                []*Affinity
	Spreads                   []*Spread
	Networks                  []*NetworkResource
	Services                  []*Opaque
	Volumes                   map[string]*Opaque
	ShutdownDelay             *time.Duration
	StopAfterClientDisconnect *time.Duration
}

type Job struct {
	Stop              bool
	Region            string
	Namespace         string
	ID                string
	ParentID          string
	Name              string
	Type              string
	Priority          int
	AllAtOnce         bool
	Datacenters       []string
	Constraints       []*Constraint
	Affinities        []*Affinity
	Spreads           []*Spread
	TaskGroups        []*TaskGroup
	Update            UpdateStrategy
	Multiregion       *Opaque
	Periodic          *PeriodicConfig
	ParameterizedJob  *ParameterizedJobConfig
	Dispatched        bool
	Payload           []byte
	Meta              map[string]string
	ConsulToken       string
	VaultToken        string
	NomadTokenID      string
	Status            string
	StatusDescription string
	Stable            bool
	Version           uint64
	SubmitTime        int64
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
}

type JobRegisterRequest struct {
	Job            *Job
	EnforceIndex   bool
	JobModifyIndex uint64
	PreserveCounts bool
	PolicyOverride bool
	WriteRequest
}

type NodeCpuResources struct{ CpuShares int64 }
type NodeMemoryResources struct{ MemoryMB int64 }
type NodeDiskResources struct{ DiskMB int64 }

type NodeNetworkAddress struct {
	Family        string
	Alias         string
	Address       string
	ReservedPorts string
	Gateway       string
}

type NodeNetworkResource struct {
	Mode       string
	Device     string
	MacAddress string
	Speed      int
	Addresses  []NodeNetworkAddress
}

type NodeResources struct {
	Cpu          NodeCpuResources
	Memory       NodeMemoryResources
	Disk         NodeDiskResources
	Networks     []*NetworkResource
	NodeNetworks []*NodeNetworkResource
	Devices      []*Opaque
}

type NodeReservedResources struct {
	Cpu      struct{ CpuShares int64 }
	Memory   struct{ MemoryMB int64 }
	Disk     struct{ DiskMB int64 }
	Networks struct{ ReservedHostPorts string }
}

type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

type DrainStrategy struct {
	DrainSpec
	ForceDeadline time.Time
	StartedAt     time.Time
}

type NodeEvent struct {
	Message     string
	Subsystem   string
	Details     map[string]string
	Timestamp   time.Time
	CreateIndex uint64
}

type DriverInfo struct {
	Attributes        map[string]string
	Detected          bool
	Healthy           bool
	HealthDescription string
	UpdateTime        time.Time
}

type ClientHostVolumeConfig struct {
	Name     string
	Path     string
	ReadOnly bool
}

type Node struct {
	ID                    string
	SecretID              string
	Datacenter            string
	Name                  string
	HTTPAddr              string
	TLSEnabled            bool
	Attributes            map[string]string
	NodeResources         *NodeResources
	ReservedResources     *NodeReservedResources
	Resources             *Resources
	Reserved              *Resources
	Links                 map[string]string
	Meta                  map[string]string
	NodeClass             string
	ComputedClass         string
	Drain                 bool
	DrainStrategy         *DrainStrategy
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	StatusUpdatedAt       int64
	Events                []*NodeEvent
	Drivers               map[string]*DriverInfo
	CSIControllerPlugins  map[string]*Opaque
	CSINodePlugins        map[string]*Opaque
	HostVolumes           map[string]*ClientHostVolumeConfig
	CreateIndex           uint64
	ModifyIndex           uint64
}

type NodeRegisterRequest struct {
	Node      *Node
	NodeEvent *NodeEvent
	WriteRequest
}

type NodeUpdateStatusRequest struct {
	NodeID    string
	Status    string
	NodeEvent *NodeEvent
	UpdatedAt int64
	WriteRequest
}

type Evaluation struct {
	_struct              bool `codec:",omitempty"`
	ID                   string
	Namespace            string
	Priority             int
	Type                 string
	TriggeredBy          string
	JobID                string
	JobModifyIndex       uint64
	NodeID               string
	NodeModifyIndex      uint64
	DeploymentID         string
	Status               string
	StatusDescription    string
	Wait                 time.Duration
	WaitUntil            time.Time
	NextEval             string
	PreviousEval         string
	BlockedEval          string
	FailedTGAllocs       map[string]*Opaque
	ClassEligibility     map[string]bool
	QuotaLimitReached    string
	EscapedComputedClass bool
	AnnotatePlan         bool
	QueuedAllocations    map[string]int
	LeaderACL            string
	SnapshotIndex        uint64
	CreateIndex          uint64
	ModifyIndex          uint64
	CreateTime           int64
	ModifyTime           int64
}

type EvalUpdateRequest struct {
	Evals     []*Evaluation
	EvalToken string
	WriteRequest
}

type EvalDeleteRequest struct {
	Evals  []string
	Allocs []string
	WriteRequest
}

type AllocatedTaskResources struct {
	Cpu      struct{ CpuShares int64 }
	Memory   struct{ MemoryMB int64 }
	Networks []*NetworkResource
	Devices  []*Opaque
}

type AllocatedPortMapping struct {
	Label  string
	Value  int
	To     int
	HostIP string
}

type AllocatedSharedResources struct {
	Networks []*NetworkResource
	DiskMB   int64
	Ports    []AllocatedPortMapping
}

type AllocatedResources struct {
	Tasks          map[string]*AllocatedTaskResources
	TaskLifecycles map[string]*TaskLifecycleConfig
	Shared         AllocatedSharedResources
}

type DesiredTransition struct {
	Migrate         *bool
	Reschedule      *bool
	ForceReschedule *bool
}

type TaskEvent struct {
	Type             string
	Time             int64
	Message          string
	DisplayMessage   string
	Details          map[string]string
	FailsTask        bool
	RestartReason    string
	SetupError       string
	DriverError      string
	ExitCode         int
	Signal           int
	KillTimeout      time.Duration
	KillError        string
	KillReason       string
	StartDelay       int64
	DownloadError    string
	ValidationError  string
	DiskLimit        int64
	FailedSibling    string
	VaultError       string
	TaskSignalReason string
	TaskSignal       string
	DriverMessage    string
	GenericSource    string
}

type TaskState struct {
	State       string
	Failed      bool
	Restarts    uint64
	LastRestart time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	Events      []*TaskEvent
}

type AllocState struct {
	Field uint8
	Value string
	Time  time.Time
}

type AllocDeploymentStatus struct {
	Healthy     *bool
	Timestamp   time.Time
	Canary      bool
	ModifyIndex uint64
}

type RescheduleEvent struct {
	RescheduleTime int64
	PrevAllocID    string
	PrevNodeID     string
	Delay          time.Duration
}

type RescheduleTracker struct{ Events []*RescheduleEvent }

type Allocation struct {
	_struct               bool `codec:",omitempty"`
	ID                    string
	Namespace             string
	EvalID                string
	Name                  string
	NodeID                string
	NodeName              string
	JobID                 string
	Job                   *Job
	TaskGroup             string
	Resources             *Resources
	SharedResources       *Resources
	TaskResources         map[string]*Resources
	AllocatedResources    *AllocatedResources
	Metrics               *Opaque
	DesiredStatus         string
	DesiredDescription    string
	DesiredTransition     DesiredTransition
	ClientStatus          string
	ClientDescription     string
	TaskStates            map[string]*TaskState
	AllocStates           []*AllocState
	PreviousAllocation    string
	NextAllocation        string
	DeploymentID          string
	DeploymentStatus      *AllocDeploymentStatus
	RescheduleTracker     *RescheduleTracker
	FollowupEvalID        string
	PreemptedAllocations  []string
	PreemptedByAllocation string
	CreateIndex           uint64
	ModifyIndex           uint64
	AllocModifyIndex      uint64
	CreateTime            int64
	ModifyTime            int64
}

type AllocationDiff Allocation

type DeploymentState struct {
	AutoRevert        bool
	AutoPromote       bool
	ProgressDeadline  time.Duration
	RequireProgressBy time.Time
	Promoted          bool
	PlacedCanaries    []string
	DesiredCanaries   int
	DesiredTotal      int
	PlacedAllocs      int
	HealthyAllocs     int
	UnhealthyAllocs   int
}

type Deployment struct {
	ID                 string
	Namespace          string
	JobID              string
	JobVersion         uint64
	JobModifyIndex     uint64
	JobSpecModifyIndex uint64
	JobCreateIndex     uint64
	IsMultiregion      bool
	TaskGroups         map[string]*DeploymentState
	Status             string
	StatusDescription  string
	CreateIndex        uint64
	ModifyIndex        uint64
}

type DeploymentStatusUpdate struct {
	DeploymentID      string
	Status            string
	StatusDescription string
}

type AllocUpdateRequest struct {
	Alloc         []*Allocation
	AllocsStopped []*AllocationDiff
	AllocsUpdated []*Allocation
	Evals         []*Evaluation
	Job           *Job
	WriteRequest
}

type ApplyPlanResultsRequest struct {
	AllocUpdateRequest
	Deployment        *Deployment
	DeploymentUpdates []*DeploymentStatusUpdate
	EvalID            string
	NodePreemptions   []*Allocation
	AllocsPreempted   []*AllocationDiff
	PreemptionEvals   []*Evaluation
}

// Nomad's message type numbers used by the vectors.
const (
	NodeRegisterRequestType     = 0
	NodeUpdateStatusRequestType = 2
	JobRegisterRequestType      = 4
	EvalUpdateRequestType       = 6
	EvalDeleteRequestType       = 7
	ApplyPlanResultsRequestType = 13
	IgnoreUnknownTypeFlag       = 128
)

func handle() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	h.MapType = reflect.TypeOf(map[string]interface{}(nil))
	return h
}

func encode(t int, msg interface{}) []byte {
	var buf bytes.Buffer
	buf.WriteByte(uint8(t))
	if err := codec.NewEncoder(&buf, handle()).Encode(msg); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

type vector struct {
	Name string `json:"name"`
	Type int    `json:"type"`
	Hex  string `json:"hex"`
}

// Times with nanoseconds, a zone and the zero time, as Nomad's structs carry them.
var (
	t1 = time.Date(2020, 7, 8, 12, 30, 45, 123456789, time.UTC)
	t2 = time.Date(2020, 7, 8, 14, 0, 0, 5, time.FixedZone("CEST", 2*3600))
	t0 = time.Time{}
)

func boolPtr(b bool) *bool { return &b }
func durPtr(d time.Duration) *time.Duration { return &d }

func sampleJob() *Job {
	return &Job{
		Region: "global", Namespace: "default", ID: "example", Name: "example", Type: "service",
		Priority: 50, Datacenters: []string{"dc1"},
		Constraints: []*Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		Affinities:  []*Affinity{{LTarget: "${node.datacenter}", RTarget: "dc1", Operand: "=", Weight: -50}},
		Spreads:     []*Spread{{Attribute: "${node.datacenter}", Weight: 100, SpreadTarget: []*SpreadTarget{{Value: "dc1", Percent: 70}}}},
		TaskGroups: []*TaskGroup{{
			Name: "cache", Count: 3,
			Update:           &UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, Canary: 1, AutoRevert: true},
			Migrate:          &MigrateStrategy{MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute},
			RestartPolicy:    &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			EphemeralDisk:    &EphemeralDisk{SizeMB: 300},
			ReschedulePolicy: &ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true},
			Networks:         []*NetworkResource{{Mode: "bridge", MBits: 10, ReservedPorts: []Port{{Label: "db", Value: 6379, To: 6379, HostNetwork: "default"}}, DynamicPorts: []Port{{Label: "http", To: -1, HostNetwork: "default"}}}},
			ShutdownDelay:    durPtr(5 * time.Second),
			Tasks: []*Task{{
				Name: "redis", Driver: "docker",
				Config:      map[string]interface{}{"image": "redis:3.2"},
				Env:         map[string]string{"MODE": "cache"},
				Resources:   &Resources{CPU: 500, MemoryMB: 256, Networks: []*NetworkResource{{MBits: 10, DynamicPorts: []Port{{Label: "metrics"}}}}},
				Lifecycle:   &TaskLifecycleConfig{Hook: "prestart", Sidecar: true},
				KillTimeout: 5 * time.Second,
				LogConfig:   &LogConfig{MaxFiles: 10, MaxFileSizeMB: 10},
			}},
		}},
		Update:           UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 1},
		Periodic:         &PeriodicConfig{Enabled: true, Spec: "*/15 * * * *", SpecType: "cron", ProhibitOverlap: true, TimeZone: "UTC"},
		ParameterizedJob: &ParameterizedJobConfig{Payload: "optional", MetaRequired: []string{"k"}},
		Payload:          []byte{0x00, 0x01, 0xfe, 0xff, 'h', 'i'},
		Meta:             map[string]string{"owner": "ops"},
		Status:           "pending", Version: 3, SubmitTime: 1594211445123456789,
		CreateIndex: 10, ModifyIndex: 20, JobModifyIndex: 20,
	}
}

func vectors() []vector {
	node := &Node{
		ID: "5f1c3a5e-0000-4000-8000-000000000001", SecretID: "s3cr3t", Datacenter: "dc1", Name: "client-1",
		HTTPAddr: "10.0.0.1:4646", Attributes: map[string]string{"kernel.name": "linux"},
		NodeResources: &NodeResources{
			Cpu: NodeCpuResources{CpuShares: 4000}, Memory: NodeMemoryResources{MemoryMB: 8192}, Disk: NodeDiskResources{DiskMB: 102400},
			Networks:     []*NetworkResource{{Mode: "host", Device: "eth0", CIDR: "10.0.0.1/32", IP: "10.0.0.1", MBits: 1000}},
			NodeNetworks: []*NodeNetworkResource{{Mode: "host", Device: "eth0", Speed: 1000, Addresses: []NodeNetworkAddress{{Family: "ipv4", Alias: "default", Address: "10.0.0.1"}}}},
		},
		ReservedResources: &NodeReservedResources{},
		Meta:              map[string]string{"rack": "r1"},
		NodeClass:         "large", ComputedClass: "v1:1234567890123456789",
		Drain:             true,
		DrainStrategy:     &DrainStrategy{DrainSpec: DrainSpec{Deadline: time.Hour, IgnoreSystemJobs: true}, ForceDeadline: t2, StartedAt: t1},
		SchedulingEligibility: "ineligible", Status: "ready", StatusUpdatedAt: 1594211445,
		Events:     []*NodeEvent{{Message: "Node registered", Subsystem: "Cluster", Details: map[string]string{"k": "v"}, Timestamp: t1, CreateIndex: 7}},
		Drivers:    map[string]*DriverInfo{"docker": {Attributes: map[string]string{"driver.docker": "1"}, Detected: true, Healthy: true, HealthDescription: "Healthy", UpdateTime: t1}},
		CreateIndex: 7, ModifyIndex: 300,
	}
	node.ReservedResources.Cpu.CpuShares = 100
	node.ReservedResources.Memory.MemoryMB = 256
	node.ReservedResources.Disk.DiskMB = 4096
	node.ReservedResources.Networks.ReservedHostPorts = "22,8000-8002"

	eval := &Evaluation{
		ID: "e0000000-0000-4000-8000-000000000001", Namespace: "default", Priority: 50, Type: "service",
		TriggeredBy: "alloc-failure", JobID: "example", JobModifyIndex: 20, Status: "blocked",
		Wait: 20 * time.Second, WaitUntil: t1, PreviousEval: "e0000000-0000-4000-8000-000000000000",
		ClassEligibility: map[string]bool{"v1:1234567890123456789": true}, EscapedComputedClass: true,
		QueuedAllocations: map[string]int{"cache": 2}, SnapshotIndex: 299,
		CreateIndex: 301, ModifyIndex: 302, CreateTime: 1594211445123456789, ModifyTime: 1594211446000000000,
	}
	zeroEval := &Evaluation{ID: "e0000000-0000-4000-8000-000000000002", Namespace: "default", Priority: 200, Type: "_core", TriggeredBy: "scheduled", JobID: "eval-gc", Status: "pending"}

	alloc := &Allocation{
		ID: "a0000000-0000-4000-8000-000000000001", Namespace: "default", EvalID: eval.ID, Name: "example.cache[0]",
		NodeID: node.ID, NodeName: node.Name, JobID: "example", TaskGroup: "cache",
		AllocatedResources: &AllocatedResources{
			Tasks:          map[string]*AllocatedTaskResources{"redis": {Networks: []*NetworkResource{{Device: "eth0", IP: "10.0.0.1", MBits: 10, DynamicPorts: []Port{{Label: "metrics", Value: 23456}}}}}},
			TaskLifecycles: map[string]*TaskLifecycleConfig{"redis": nil},
			Shared:         AllocatedSharedResources{DiskMB: 300, Ports: []AllocatedPortMapping{{Label: "db", Value: 6379, To: 6379, HostIP: "10.0.0.1"}}},
		},
		DesiredStatus: "run", DesiredTransition: DesiredTransition{Migrate: boolPtr(true)}, ClientStatus: "running",
		TaskStates: map[string]*TaskState{"redis": {State: "running", Restarts: 1, LastRestart: t2, StartedAt: t1, FinishedAt: t0,
			Events: []*TaskEvent{{Type: "Started", Time: 1594211445123456789, DisplayMessage: "Task started by client", Details: map[string]string{"a": "b"}, ExitCode: -1, KillTimeout: 5 * time.Second}}}},
		AllocStates:       []*AllocState{{Field: 0, Value: "lost", Time: t1}},
		DeploymentID:      "d0000000-0000-4000-8000-000000000001",
		DeploymentStatus:  &AllocDeploymentStatus{Healthy: boolPtr(false), Timestamp: t1, Canary: true, ModifyIndex: 5},
		RescheduleTracker: &RescheduleTracker{Events: []*RescheduleEvent{{RescheduleTime: 1594211445123456789, PrevAllocID: "a-prev", PrevNodeID: "n-prev", Delay: 30 * time.Second}}},
		PreemptedAllocations: []string{"a-victim"},
		CreateIndex: 303, ModifyIndex: 303, AllocModifyIndex: 303, CreateTime: 1594211445123456789, ModifyTime: 1594211445123456789,
	}
	alloc.AllocatedResources.Tasks["redis"].Cpu.CpuShares = 500
	alloc.AllocatedResources.Tasks["redis"].Memory.MemoryMB = 256
	job := sampleJob()
	alloc.Job = job
	alloc.JobID = job.ID

	plan := &ApplyPlanResultsRequest{
		AllocUpdateRequest: AllocUpdateRequest{
			AllocsStopped: []*AllocationDiff{{ID: "a-stop", DesiredDescription: "alloc not needed due to job update", ClientStatus: "complete", FollowupEvalID: "e-follow"}},
			AllocsUpdated: []*Allocation{alloc},
			Job:           job,
		},
		Deployment: &Deployment{
			ID: "d0000000-0000-4000-8000-000000000001", Namespace: "default", JobID: "example", JobVersion: 3,
			JobModifyIndex: 20, JobSpecModifyIndex: 20, JobCreateIndex: 10,
			TaskGroups: map[string]*DeploymentState{"cache": {AutoRevert: true, ProgressDeadline: 10 * time.Minute, RequireProgressBy: t1, PlacedCanaries: []string{alloc.ID}, DesiredCanaries: 1, DesiredTotal: 3, PlacedAllocs: 1}},
			Status: "running", StatusDescription: "Deployment is running", CreateIndex: 303, ModifyIndex: 303,
		},
		DeploymentUpdates: []*DeploymentStatusUpdate{{DeploymentID: "d-old", Status: "cancelled", StatusDescription: "Cancelled due to newer version of job"}},
		EvalID:            eval.ID,
		AllocsPreempted:   []*AllocationDiff{{ID: "a-victim", PreemptedByAllocation: alloc.ID}},
		PreemptionEvals:   []*Evaluation{zeroEval},
	}
	plan.Region = "global"

	return []vector{
		{"node-register", NodeRegisterRequestType, hex.EncodeToString(encode(NodeRegisterRequestType, &NodeRegisterRequest{Node: node, WriteRequest: WriteRequest{Region: "global", AuthToken: "tok"}}))},
		{"node-update-status", NodeUpdateStatusRequestType, hex.EncodeToString(encode(NodeUpdateStatusRequestType, &NodeUpdateStatusRequest{NodeID: node.ID, Status: "down", NodeEvent: &NodeEvent{Message: "Node heartbeat missed", Subsystem: "Cluster", Timestamp: t2}, UpdatedAt: 1594211500, WriteRequest: WriteRequest{Region: "global", InternalRpcInfo: InternalRpcInfo{Forwarded: true}}}))},
		{"job-register", JobRegisterRequestType, hex.EncodeToString(encode(JobRegisterRequestType, &JobRegisterRequest{Job: sampleJob(), EnforceIndex: true, JobModifyIndex: 19, WriteRequest: WriteRequest{Region: "global", Namespace: "default"}}))},
		{"eval-update", EvalUpdateRequestType, hex.EncodeToString(encode(EvalUpdateRequestType, &EvalUpdateRequest{Evals: []*Evaluation{eval, zeroEval}, EvalToken: "token-1", WriteRequest: WriteRequest{Region: "global"}}))},
		{"eval-delete", EvalDeleteRequestType, hex.EncodeToString(encode(EvalDeleteRequestType, &EvalDeleteRequest{Evals: []string{eval.ID}, Allocs: []string{alloc.ID, "a-stop"}}))},
		{"apply-plan-results", ApplyPlanResultsRequestType, hex.EncodeToString(encode(ApplyPlanResultsRequestType, plan))},
		{"ignore-unknown", 99 | IgnoreUnknownTypeFlag, hex.EncodeToString(encode(99|IgnoreUnknownTypeFlag, &EvalDeleteRequest{Evals: []string{"x"}}))},
	}
}

// decodeInto returns a fresh value of the struct a vector name carries.
func decodeInto(name string) interface{} {
	switch name {
	case "node-register":
		return &NodeRegisterRequest{}
	case "node-update-status":
		return &NodeUpdateStatusRequest{}
	case "job-register":
		return &JobRegisterRequest{}
	case "eval-update":
		return &EvalUpdateRequest{}
	case "eval-delete", "ignore-unknown":
		return &EvalDeleteRequest{}
	case "apply-plan-results":
		return &ApplyPlanResultsRequest{}
	}
	panic("unknown vector " + name)
}

func bench(n int) {
	var entry []byte
	for _, v := range vectors() {
		if v.Name == "apply-plan-results" {
			entry, _ = hex.DecodeString(v.Hex)
		}
	}
	var msg *ApplyPlanResultsRequest
	start := time.Now()
	for i := 0; i < n; i++ {
		msg = &ApplyPlanResultsRequest{}
		if err := codec.NewDecoder(bytes.NewReader(entry[1:]), handle()).Decode(msg); err != nil {
			panic(err)
		}
	}
	decodeNs := float64(time.Since(start).Nanoseconds()) / float64(n)
	start = time.Now()
	for i := 0; i < n; i++ {
		encode(ApplyPlanResultsRequestType, msg)
	}
	encodeNs := float64(time.Since(start).Nanoseconds()) / float64(n)
	fmt.Printf("{\"decodeNsPerOp\":%.0f,\"encodeNsPerOp\":%.0f,\"bytes\":%d}\n", decodeNs, encodeNs, len(entry))
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "bench" {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil {
			panic(err)
		}
		bench(n)
		return
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if len(os.Args) > 1 && os.Args[1] == "roundtrip" {
		var in []vector
		if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
			panic(err)
		}
		res := make([]vector, 0, len(in))
		for _, v := range in {
			raw, err := hex.DecodeString(v.Hex)
			if err != nil {
				panic(err)
			}
			if int(raw[0]) != v.Type {
				fmt.Fprintf(os.Stderr, "%s: type byte %d, want %d\n", v.Name, raw[0], v.Type)
				os.Exit(1)
			}
			target := decodeInto(v.Name)
			if err := codec.NewDecoder(bytes.NewReader(raw[1:]), handle()).Decode(target); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", v.Name, err)
				os.Exit(1)
			}
			res = append(res, vector{v.Name, v.Type, hex.EncodeToString(encode(v.Type, target))})
		}
		if err := out.Encode(res); err != nil {
			panic(err)
		}
		return
	}
	if err := out.Encode(vectors()); err != nil {
		panic(err)
	}
}
