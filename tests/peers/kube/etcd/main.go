// Command etcd is the etcd server (go.etcd.io/etcd/server/v3), for tests/cluster.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
