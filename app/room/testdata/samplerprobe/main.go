// Command samplerprobe prints how many read system calls it made in 2.5
// idle seconds, with nats-server's CPU sampler left running or, with the
// argument "stop", stopped as podmark stops it (TestStopServerSampler).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/podmark/podmark/app/room"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "stop" {
		room.StopServerSampler()
	}
	a := syscr()
	time.Sleep(3500 * time.Millisecond)
	fmt.Println(syscr() - a)
}

// syscr is the process's read system calls so far (/proc/self/io).
func syscr() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "syscr: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				break
			}
			return n
		}
	}
	fmt.Fprintln(os.Stderr, "no syscr in /proc/self/io")
	os.Exit(1)
	return 0
}
