// Package doclinks holds a test, not code: every doc link (a name in square
// brackets: an identifier, pkg.Name, Type.Method or an import path) in the doc comment of a package
// or of an exported identifier, in every module of the repository, names
// something that exists, and no bracketed name that looks like a link was
// left as plain text because go/doc could not resolve it.
package doclinks
