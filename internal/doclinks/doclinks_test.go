package doclinks

import (
	"go/ast"
	"go/build"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

const repoModule = "github.com/jwtrot/jwtrot"

// repoRoot is the repository's top directory: the core module's.
var repoRoot = filepath.Join("..", "..")

// pkgDirs returns every directory of the repository that holds a package,
// with its import path, across all modules (a nested module's path is its
// directory's under the core's, as go.work has them).
func pkgDirs(t *testing.T) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != repoRoot && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			rel, err := filepath.Rel(repoRoot, filepath.Dir(p))
			if err != nil {
				return err
			}
			dirs[path.Join(repoModule, filepath.ToSlash(rel))] = filepath.Dir(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 5 {
		t.Fatalf("found only %d packages under %s", len(dirs), repoRoot)
	}
	return dirs
}

// loaded is a package read for its documentation.
type loaded struct {
	doc  *doc.Package
	syms map[string]bool // "Name" and "Type.Method" / "Type.Field"
}

type resolver struct {
	t     *testing.T
	ours  map[string]string // import path -> dir
	cache map[string]*loaded
}

func (r *resolver) dir(importPath, from string) (string, bool) {
	if d, ok := r.ours[importPath]; ok {
		return d, true
	}
	if p, err := build.Default.Import(importPath, "", build.FindOnly); err == nil && p.Goroot {
		return p.Dir, true
	}
	// A third-party package: where the module that refers to it finds it.
	cmd := exec.Command("go", "list", "-e", "-f", "{{.Dir}}", importPath)
	cmd.Dir = from
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	d := strings.TrimSpace(string(out))
	return d, err == nil && d != ""
}

func (r *resolver) load(importPath, dir string) *loaded {
	if l, ok := r.cache[importPath]; ok {
		return l
	}
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		r.t.Fatalf("%s: %v", importPath, err)
	}
	var files []*ast.File
	for name, p := range pkgs {
		if name == "main" && len(pkgs) > 1 || strings.HasSuffix(name, "_test") {
			continue
		}
		for _, f := range p.Files {
			// Build constraints aside (a file for another OS still documents).
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		r.cache[importPath] = nil
		return nil
	}
	d, err := doc.NewFromFiles(fset, files, importPath, doc.PreserveAST)
	if err != nil {
		r.t.Fatalf("%s: %v", importPath, err)
	}
	l := &loaded{doc: d, syms: map[string]bool{}}
	add := func(v []*doc.Value) {
		for _, v := range v {
			for _, n := range v.Names {
				l.syms[n] = true
			}
		}
	}
	add(d.Consts)
	add(d.Vars)
	for _, f := range d.Funcs {
		l.syms[f.Name] = true
	}
	for _, ty := range d.Types {
		l.syms[ty.Name] = true
		add(ty.Consts)
		add(ty.Vars)
		for _, f := range ty.Funcs {
			l.syms[f.Name] = true
		}
		for _, m := range ty.Methods {
			l.syms[ty.Name+"."+m.Name] = true
		}
		for _, spec := range ty.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			switch st := ts.Type.(type) {
			case *ast.StructType:
				for _, fld := range st.Fields.List {
					for _, n := range fld.Names {
						l.syms[ty.Name+"."+n.Name] = true
					}
				}
			case *ast.InterfaceType:
				for _, m := range st.Methods.List {
					for _, n := range m.Names {
						l.syms[ty.Name+"."+n.Name] = true
					}
				}
			}
		}
	}
	r.cache[importPath] = l
	return l
}

// A bracketed name that go/doc would have made a link had it resolved: an
// identifier, a qualified one, or either with a method, with a leading star
// allowed, bounded as the doc comment syntax requires.
var linkish = regexp.MustCompile(`\[\*?[\p{L}_][\p{L}\p{N}_]*(\.[\p{L}_][\p{L}\p{N}_]*){0,2}\]`)

func TestDocLinksResolve(t *testing.T) {
	r := &resolver{t: t, ours: pkgDirs(t), cache: map[string]*loaded{}}
	checked, links := 0, 0
	for importPath, dir := range r.ours {
		l := r.load(importPath, dir)
		if l == nil {
			continue
		}
		p := l.doc.Parser()
		check := func(what, text string) {
			if text == "" {
				return
			}
			checked++
			for _, b := range allBlocks(p.Parse(text).Content) {
				for _, x := range blockText(b) {
					switch x := x.(type) {
					case *comment.DocLink:
						links++
						r.checkLink(t, importPath, dir, what, x)
					case comment.Plain:
						for _, loc := range linkish.FindAllStringIndex(string(x), -1) {
							s := string(x)
							if boundary(s, loc[0], loc[1]) {
								t.Errorf("%s: %s: %s is not a doc link: no such identifier", importPath, what, s[loc[0]:loc[1]])
							}
						}
					}
				}
			}
		}
		d := l.doc
		check("package doc", d.Doc)
		values := func(vs []*doc.Value) {
			for _, v := range vs {
				check(strings.Join(v.Names, ", "), v.Doc)
			}
		}
		values(d.Consts)
		values(d.Vars)
		for _, f := range d.Funcs {
			check(f.Name, f.Doc)
		}
		for _, ty := range d.Types {
			check(ty.Name, ty.Doc)
			values(ty.Consts)
			values(ty.Vars)
			for _, f := range ty.Funcs {
				check(f.Name, f.Doc)
			}
			for _, m := range ty.Methods {
				check(ty.Name+"."+m.Name, m.Doc)
			}
		}
	}
	if checked < 100 || links < 50 {
		t.Fatalf("checked %d doc comments holding %d links: the walk missed the packages", checked, links)
	}
	t.Logf("%d doc comments, %d links", checked, links)
}

func (r *resolver) checkLink(t *testing.T, from, fromDir, what string, l *comment.DocLink) {
	t.Helper()
	target := l.ImportPath
	if target == "" {
		target = from
	}
	name := l.Name
	if l.Recv != "" {
		name = l.Recv + "." + l.Name
	}
	shown := "[" + target
	if name != "" {
		shown += "." + name
	}
	shown += "]"
	dir, ok := r.dir(target, fromDir)
	if !ok {
		t.Errorf("%s: %s: the link %s names no package", from, what, shown)
		return
	}
	if name == "" {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s: %s: the link %s names no package", from, what, shown)
		}
		return
	}
	pkg := r.load(target, dir)
	if pkg == nil || !pkg.syms[name] {
		t.Errorf("%s: %s: the link %s names nothing in %s", from, what, shown, target)
	}
}

// boundary reports whether s[i:j] stands where a doc link may: after the
// start, a space or punctuation, and before the end, a space or punctuation
// (not "(" or ":", which make it something else).
func boundary(s string, i, j int) bool {
	if i > 0 {
		c, _ := utf8.DecodeLastRuneInString(s[:i])
		if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' {
			return false
		}
	}
	if j < len(s) {
		c, _ := utf8.DecodeRuneInString(s[j:])
		if unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '(' || c == ':' {
			return false
		}
	}
	return true
}

func allBlocks(bs []comment.Block) []comment.Block {
	var out []comment.Block
	for _, b := range bs {
		out = append(out, b)
		if l, ok := b.(*comment.List); ok {
			for _, it := range l.Items {
				out = append(out, allBlocks(it.Content)...)
			}
		}
	}
	return out
}

func blockText(b comment.Block) []comment.Text {
	var ts []comment.Text
	switch b := b.(type) {
	case *comment.Paragraph:
		ts = b.Text
	case *comment.Heading:
		ts = b.Text
	}
	var flat []comment.Text
	var walk func([]comment.Text)
	walk = func(ts []comment.Text) {
		for _, x := range ts {
			switch x := x.(type) {
			case *comment.Italic:
				flat = append(flat, comment.Plain(*x))
			case *comment.Link:
				walk(x.Text)
			default:
				flat = append(flat, x)
			}
		}
	}
	walk(ts)
	return flat
}
