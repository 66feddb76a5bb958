package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The README's Go samples compile against the modules as they are: each
// ```go block becomes the body of a function of a package that exists only
// in a build overlay (nothing is written to the tree), with the names the
// prose gives it (ctx, mux, auth, ...) as parameters, and is built with the
// go command. A //line directive makes the compiler's errors name README.md
// and the sample's own line. Variables a sample declares and leaves for the
// reader to use are used by a line added after it; nothing else is added.

// readmeGoParams are the names a README sample may use without declaring
// them, as its surrounding text does: the request context, the mux, an
// Authority, handlers, a client secret, a token's jti and exp, a Deriver
// and its roots. A sample's function has those it does not declare itself
// as parameters.
var readmeGoParams = []struct{ name, typ string }{
	{"ctx", "context.Context"},
	{"mux", "*http.ServeMux"},
	{"auth", "*jwtrot.Authority"},
	{"me", "http.Handler"},
	{"transfer", "http.Handler"},
	{"secretFromVault", "string"},
	{"secret", "string"},
	{"jti", "string"},
	{"exp", "time.Time"},
	{"deriver", "*rotation.Deriver"},
	{"roots", "[]*rotation.Root"},
}

// readmeGoImports are the packages the samples may use, by the name they
// use; each is referred to once so that a sample need not use all.
var readmeGoImports = []struct{ path, use string }{
	{"context", "context.Background"},
	{"errors", "errors.Is"},
	{"log", "log.Fatal"},
	{"net/http", "http.NewServeMux"},
	{"time", "time.Now"},
	{"github.com/golang-jwt/jwt/v5", "jwt.NewNumericDate"},
	{"github.com/jwtrot/jwtrot/httpauth", "httpauth.New"},
	{"github.com/jwtrot/jwtrot/jwks", "jwks.NewClient"},
	{"github.com/jwtrot/jwtrot/jwtrot", "jwtrot.New"},
	{"github.com/jwtrot/jwtrot/rotation", "rotation.NewDeriver"},
	{"github.com/jwtrot/jwtrot/extra/jwtrotredis", "jwtrotredis.New"},
	{"github.com/redis/rueidis", "rueidis.NewClient"},
}

// readmeGoOutside are packages a sample may use that this module does not
// require: such a sample is another library's API, shown for the reader
// (golang.org/x/oauth2's client credentials client), and is not built here.
var readmeGoOutside = []string{"clientcredentials."}

func TestREADMEGoSamples(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no go command on PATH (%v), and CI is set: the README's Go samples must be built", err)
		}
		t.Skipf("no go command on PATH (%v): the README's Go samples are built with it", err)
	}
	var src strings.Builder
	src.WriteString("package readmegen\n\nimport (\n")
	for _, im := range readmeGoImports {
		fmt.Fprintf(&src, "\t%q\n", im.path)
	}
	src.WriteString(")\n\nvar (\n")
	for _, im := range readmeGoImports {
		fmt.Fprintf(&src, "\t_ = %s\n", im.use)
	}
	src.WriteString(")\n")
	built := 0
	for _, b := range readmeBlocks(t) {
		if b.lang != "go" {
			continue
		}
		body := strings.Join(b.lines, "\n")
		outside := ""
		for _, o := range readmeGoOutside {
			if strings.Contains(body, o) {
				outside = o
			}
		}
		if outside != "" {
			t.Logf("README.md:%d: not built: it uses %s, a package this module does not require", b.line, strings.TrimSuffix(outside, "."))
			continue
		}
		names, err := declaredNames(body)
		if err != nil {
			t.Errorf("README.md:%d: not Go statements: %v", b.line, err)
			continue
		}
		var params []string
		for _, p := range readmeGoParams {
			if !slices.Contains(names, p.name) {
				params = append(params, p.name+" "+p.typ)
			}
		}
		fmt.Fprintf(&src, "\nfunc sample%d(%s) {\n//line README.md:%d\n%s\n", b.line, strings.Join(params, ", "), b.line+1, body)
		for _, n := range names {
			fmt.Fprintf(&src, "\t_ = %s\n", n)
		}
		src.WriteString("}\n")
		built++
	}
	if built < 5 {
		t.Fatalf("only %d Go samples in README.md to build: has the README's format changed?", built)
	}

	// The package lives in the overlay only, in a directory of this module.
	dir, err := filepath.Abs("readmegen")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "samples.go")
	if err := os.WriteFile(file, []byte(src.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(dir, "samples.go"): file}})
	if err != nil {
		t.Fatal(err)
	}
	ov := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "-overlay", ov, "-o", os.DevNull}
	// Outside the workspace (GOWORK=off, as .ci/publish-check -oldest runs
	// the tests), a copy of go.mod and go.sum takes what the go command may
	// add to them, so that the tree stays as it is.
	if out, err := exec.Command(gobin, "env", "GOWORK").Output(); err != nil {
		t.Fatalf("go env GOWORK: %v", err)
	} else if strings.TrimSpace(string(out)) == "" {
		for _, f := range []string{"go.mod", "go.sum"} {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tmp, f), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, "-modfile", filepath.Join(tmp, "go.mod"))
	}
	cmd := exec.Command(gobin, append(args, "./readmegen")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's Go samples do not build (%v):\n%s", err, out)
	}
	t.Logf("built %d Go samples of README.md", built)
}

// declaredNames returns the variables the statements of body declare at
// their top level (with := or var), in order, once each, but _.
func declaredNames(body string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "sample.go", "package p\nfunc f() {\n"+body+"\n}\n", 0)
	if err != nil {
		return nil, err
	}
	var names []string
	seen := map[string]bool{}
	add := func(id *ast.Ident) {
		if id.Name != "_" && !seen[id.Name] {
			seen[id.Name] = true
			names = append(names, id.Name)
		}
	}
	for _, s := range f.Decls[0].(*ast.FuncDecl).Body.List {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, e := range s.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.DeclStmt:
			if g, ok := s.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, sp := range g.Specs {
					for _, id := range sp.(*ast.ValueSpec).Names {
						add(id)
					}
				}
			}
		}
	}
	return names, nil
}
