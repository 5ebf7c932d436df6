// Command casecover adds the case expressions of reached switch statements,
// the package-level const and var declarations, and the rest of a reached
// statement after a function literal (funcLitTails) to a Go coverage
// profile, for gremlins.
//
// go test -cover counts blocks of statements: the expressions of a switch's
// case clauses ("case r >= '0' && r <= '9':") lie in no block, so gremlins
// v0.6.0, which runs only the mutants inside a covered block, reports every
// mutant there as NOT COVERED although the tests evaluate it. For each case
// clause whose switch statement starts inside a covered block, casecover
// appends a block spanning the clause's expressions with count 1. A clause
// the tests never reach still runs its mutants, which then live: that is a
// survivor either way, never a false kill.
//
// The same holds for a package-level declaration ("const maxWait = 10 *
// time.Minute", "var retryable = map[...]..."): its expressions lie in no
// block, so gremlins reports their mutants NOT COVERED without running
// them, and they count against the score although a test may well fail on
// them. casecover adds a block for every package-level const and var
// declaration of a file the profile lists, so that each such mutant is
// applied and the tests decide: killed, or lived when nothing notices.
//
//	go run ./scripts/mutation/casecover PROFILE   (from the module root)
package main

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"path/filepath"
	"strings"
)

type block struct{ startLine, startCol, endLine, endCol int }

// contains reports whether p lies within b.
func (b block) contains(p token.Position) bool {
	after := p.Line > b.startLine || (p.Line == b.startLine && p.Column >= b.startCol)
	before := p.Line < b.endLine || (p.Line == b.endLine && p.Column <= b.endCol)
	return after && before
}

func main() {
	log.SetFlags(0)
	if len(os.Args) != 2 {
		log.Fatal("usage: casecover PROFILE")
	}
	if err := run(os.Args[1]); err != nil {
		log.Fatalf("casecover: %v", err)
	}
}

func run(profile string) error {
	module, err := modulePath()
	if err != nil {
		return err
	}
	covered, order, err := readProfile(profile)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(profile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	for _, name := range order {
		rel, ok := strings.CutPrefix(name, module+"/")
		if !ok {
			continue
		}
		for _, b := range addedBlocks(rel, covered[name]) {
			fmt.Fprintf(out, "%s:%d.%d,%d.%d 1 1\n", name, b.startLine, b.startCol, b.endLine, b.endCol)
		}
	}
	return out.Close()
}

func modulePath() (string, error) {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, "module ")), nil
}

// readProfile returns the blocks with a non-zero count of each file, and
// the files in the order they appear.
func readProfile(path string) (map[string][]block, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	covered := map[string][]block{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "mode:") || line == "" {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("malformed profile line %q", line)
		}
		var b block
		var stmts, count int
		if _, err := fmt.Sscanf(rest, "%d.%d,%d.%d %d %d", &b.startLine, &b.startCol, &b.endLine, &b.endCol, &stmts, &count); err != nil {
			return nil, nil, fmt.Errorf("malformed profile line %q: %w", line, err)
		}
		if _, seen := covered[name]; !seen {
			order = append(order, name)
			covered[name] = nil
		}
		if count > 0 {
			covered[name] = append(covered[name], b)
		}
	}
	return covered, order, sc.Err()
}

// addedBlocks returns a block for the expressions of every case clause in
// file whose switch statement starts inside one of the covered blocks, one
// for every package-level const and var declaration, and one for each
// statement tail after a function literal (funcLitTails).
func addedBlocks(file string, covered []block) []block {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.FromSlash(file), nil, 0)
	if err != nil {
		return nil // not a file of this module's tree (e.g. generated)
	}
	out := append(declBlocks(fset, f), caseBlocks(fset, f, covered)...)
	return append(out, funcLitTails(fset, f, covered)...)
}

// reachedIn reports whether p lies in one of the covered blocks.
func reachedIn(fset *token.FileSet, covered []block, p token.Pos) bool {
	pos := fset.Position(p)
	for _, b := range covered {
		if b.contains(pos) {
			return true
		}
	}
	return false
}

// funcLitTails returns, for every function literal in a statement that
// starts inside a covered block, a block from the literal's end to the end
// of the statement (to the opening brace of an if, for or switch body).
// go test -cover ends a statement's block where a function literal starts
// and resumes in the next statement or body, so the rest of the statement,
// the "err != nil" of "if err := run(func() error { ... }); err != nil {",
// lies in no block and its mutants would be NOT COVERED though it runs
// whenever the statement does.
func funcLitTails(fset *token.FileSet, f *ast.File, covered []block) []block {
	var out []block
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if lit, ok := n.(*ast.FuncLit); ok {
			for i := len(stack) - 1; i >= 0; i-- {
				stmt, ok := stack[i].(ast.Stmt)
				if !ok {
					continue
				}
				// The init statement of an if, for or switch ("err :=
				// run(...)"): the statement is the whole header.
				for ; i > 0 && isHeaderOf(stack[i-1], stmt); i-- {
					stmt = stack[i-1].(ast.Stmt)
				}
				end := stmt.End()
				switch s := stmt.(type) {
				case *ast.IfStmt:
					end = s.Body.Lbrace
				case *ast.ForStmt:
					end = s.Body.Lbrace
				case *ast.RangeStmt:
					end = s.Body.Lbrace
				case *ast.SwitchStmt:
					end = s.Body.Lbrace
				case *ast.TypeSwitchStmt:
					end = s.Body.Lbrace
				}
				if lit.End() < end && reachedIn(fset, covered, stmt.Pos()) {
					a, b := fset.Position(lit.End()), fset.Position(end)
					out = append(out, block{a.Line, a.Column, b.Line, b.Column})
				}
				break
			}
		}
		stack = append(stack, n)
		return true
	})
	return out
}

// declBlocks returns a block spanning each package-level const and var
// declaration of f.
func declBlocks(fset *token.FileSet, f *ast.File) []block {
	var out []block
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && (g.Tok == token.CONST || g.Tok == token.VAR) {
			start, end := fset.Position(g.Pos()), fset.Position(g.End())
			out = append(out, block{start.Line, start.Column, end.Line, end.Column})
		}
	}
	return out
}

// caseBlocks returns a block for the expressions of every case clause in
// f whose switch statement starts inside one of the covered blocks.
func caseBlocks(fset *token.FileSet, f *ast.File, covered []block) []block {
	var out []block
	ast.Inspect(f, func(n ast.Node) bool {
		var body *ast.BlockStmt
		switch s := n.(type) {
		case *ast.SwitchStmt:
			body = s.Body
		case *ast.TypeSwitchStmt:
			body = s.Body
		default:
			return true
		}
		if !reachedIn(fset, covered, n.Pos()) {
			return true
		}
		for _, stmt := range body.List {
			cc := stmt.(*ast.CaseClause)
			if len(cc.List) == 0 {
				continue // default: nothing to mutate
			}
			start, end := fset.Position(cc.Case), fset.Position(cc.Colon)
			out = append(out, block{start.Line, start.Column, end.Line, end.Column})
		}
		return true
	})
	return out
}

// isHeaderOf reports whether stmt is part of parent's header: the init or
// post statement of an if, for or switch, not its body or else branch.
func isHeaderOf(parent ast.Node, stmt ast.Stmt) bool {
	switch p := parent.(type) {
	case *ast.IfStmt:
		return stmt == p.Init
	case *ast.ForStmt:
		return stmt == p.Init || stmt == p.Post
	case *ast.SwitchStmt:
		return stmt == p.Init
	case *ast.TypeSwitchStmt:
		return stmt == p.Init || stmt == p.Assign
	}
	return false
}
