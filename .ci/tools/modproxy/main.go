// Command modproxy writes modules of a git working tree as a file-based Go
// module proxy (GOPROXY=file://DIR), each at the version given, the way the
// module would be served once tagged:
//
//	modproxy -out DIR -version v0.1.0 MODDIR...
//
// For each module directory it writes DIR/<module>/@v/<version>.info, .mod
// and .zip and appends the version to DIR/<module>/@v/list. The zip holds the
// files git would publish: tracked and untracked-but-not-ignored files of the
// working tree (so an uncommitted new file counts, and node_modules does not),
// built with golang.org/x/mod/zip, which also leaves out nested modules and
// enforces the proxy's limits.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

func main() {
	out := flag.String("out", "", "the proxy directory to write")
	version := flag.String("version", "", "the version to publish every module at, e.g. v0.1.0")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: modproxy -out DIR -version VERSION MODDIR...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || *version == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	for _, dir := range flag.Args() {
		path, err := publish(*out, *version, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "modproxy: %s: %v\n", dir, err)
			os.Exit(1)
		}
		fmt.Printf("%s@%s\n", path, *version)
	}
}

// publish writes the module in dir at version into the proxy at out and
// returns its module path.
func publish(out, version, dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return "", err
	}
	if f.Module == nil {
		return "", errors.New("go.mod has no module directive")
	}
	if len(f.Replace) > 0 {
		// A consumer's go command ignores them: the module would build here
		// and nowhere else.
		return "", fmt.Errorf("go.mod has %d replace directive(s); a published go.mod must have none", len(f.Replace))
	}
	m := module.Version{Path: f.Module.Mod.Path, Version: version}
	if err := module.Check(m.Path, m.Version); err != nil {
		return "", err
	}
	files, err := workingTreeFiles(dir)
	if err != nil {
		return "", err
	}
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return "", err
	}
	escVersion, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", err
	}
	vdir := filepath.Join(out, escPath, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return "", err
	}
	var zip bytes.Buffer
	if err := modzip.Create(&zip, m, files); err != nil {
		return "", err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{m.Version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return "", err
	}
	for ext, data := range map[string][]byte{".zip": zip.Bytes(), ".mod": gomod, ".info": info} {
		if err := os.WriteFile(filepath.Join(vdir, escVersion+ext), data, 0o644); err != nil {
			return "", err
		}
	}
	list, err := os.OpenFile(filepath.Join(vdir, "list"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := fmt.Fprintln(list, m.Version); err != nil {
		list.Close()
		return "", err
	}
	return m.Path, list.Close()
}

// workingTreeFiles lists the files git would publish under dir: tracked, or
// untracked and not ignored, and present in the working tree.
func workingTreeFiles(dir string) ([]modzip.File, error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	listing, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var files []modzip.File
	seen := map[string]bool{}
	for _, name := range strings.Split(string(listing), "\x00") {
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		abs := filepath.Join(dir, filepath.FromSlash(name))
		if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree, not yet committed
		} else if err != nil {
			return nil, err
		}
		files = append(files, file{name: name, abs: abs})
	}
	return files, nil
}

// file is a working-tree file, named by its slash-separated path in the
// module.
type file struct{ name, abs string }

func (f file) Path() string                 { return f.name }
func (f file) Lstat() (os.FileInfo, error)  { return os.Lstat(f.abs) }
func (f file) Open() (io.ReadCloser, error) { return os.Open(f.abs) }
