package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/testing/freeport"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// membershipPortOffset places the services' membership ports above the
// frontend port: 7233 uses 7333 to 7336.
const membershipPortOffset = 100

// serverConfig says what server to build.
type serverConfig struct {
	ip         string
	port       int
	namespaces []string
	// dbFile is the SQLite file that keeps the server's state; if empty,
	// the state is in memory and lost at exit.
	dbFile string
	logger log.Logger
}

// newServer builds a single-process Temporal server on SQLite, the way
// go.temporal.io/server/temporaltest's internal LiteServer and the Temporal
// CLI's start-dev do: frontend on cfg.port, the other services on free
// ports, one history shard, and cfg.namespaces registered.
func newServer(cfg serverConfig) (temporal.Server, error) {
	sqlCfg, err := cfg.store()
	if err != nil {
		return nil, err
	}
	return temporal.NewServer(
		temporal.WithConfig(cfg.serverConfig(sqlCfg)),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(cfg.logger),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
		}),
	)
}

// store returns the SQLite store, in memory or in cfg.dbFile (with its schema
// created if the file is new), with cfg.namespaces registered.
func (cfg serverConfig) store() (*config.SQL, error) {
	sqlCfg := &config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if cfg.dbFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = fmt.Sprintf("devserver-%d", time.Now().UnixNano())
	} else {
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		sqlCfg.DatabaseName = cfg.dbFile
		if err := setupSchema(sqlCfg, cfg.dbFile); err != nil {
			return nil, err
		}
	}
	var nsConfigs []*sqlite.NamespaceConfig
	for _, ns := range cfg.namespaces {
		nc, err := sqlite.NewNamespaceConfig("active", ns, false, nil)
		if err != nil {
			return nil, fmt.Errorf("namespace %q: %w", ns, err)
		}
		nsConfigs = append(nsConfigs, nc)
	}
	if err := sqlite.CreateNamespaces(sqlCfg, nsConfigs...); err != nil {
		return nil, err
	}
	return sqlCfg, nil
}

// serverConfig returns the server's configuration on the store sqlCfg.
func (cfg serverConfig) serverConfig(sqlCfg *config.SQL) *config.Config {
	frontend := fmt.Sprintf("%s:%d", cfg.ip, cfg.port)
	// Membership ports are fixed, derived from the frontend port: the
	// services find each other through records in the database, and after a
	// restart within 20 s the previous run's records still count as alive.
	// With random ports they would point at nothing, and the services would
	// not find each other ("Not enough hosts to serve the request").
	service := func(grpcPort, index int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: cfg.port + membershipPortOffset + index, BindOnIP: cfg.ip}}
	}
	return &config.Config{
		Global: config.Global{Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: cfg.ip}},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(cfg.port, 0),
			"history":  service(freeport.MustGetFreePort(), 1),
			"matching": service(freeport.MustGetFreePort(), 2),
			"worker":   service(freeport.MustGetFreePort(), 3),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		// The server's own workers reach the frontend through this.
		PublicClient: config.PublicClient{HostPort: frontend},
	}
}

// setupSchema creates the SQLite file and its tables unless the file exists.
func setupSchema(sqlCfg *config.SQL, file string) error {
	if _, err := os.Stat(file); err == nil {
		return nil
	} else if !os.IsNotExist(err) {
		return err
	}
	if _, err := os.Stat(filepath.Dir(file)); err != nil {
		return fmt.Errorf("database directory: %w", err)
	}
	if err := sqlite.SetupSchema(sqlCfg); err != nil {
		return fmt.Errorf("set up schema in %s: %w", file, err)
	}
	return nil
}
