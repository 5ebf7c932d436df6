package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const src = `package p

const limit = 10 * 2

func run(f func() error) error { return f() }

func g(x int) error {
	if err := run(func() error {
		return nil
	}); err != nil {
		return err
	}
	switch {
	case x > limit:
		return nil
	}
	return nil
}

func h(x int) {
	switch {
	case x < 0:
	}
}
`

// TestAddedBlocks: the blocks casecover adds to a profile that covers g's
// body (lines 7-18) but not h's: the const declaration, the tail of the if
// header after the function literal, and the case clause of the reached
// switch; nothing for h's switch, which no covered block holds.
func TestAddedBlocks(t *testing.T) {
	file := filepath.Join(t.TempDir(), "p.go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	covered := []block{
		{7, 21, 8, 30},  // g's body up to the literal's brace
		{8, 30, 10, 3},  // the literal's body
		{10, 17, 12, 3}, // the if body
		{13, 2, 13, 10}, // the switch statement
		{15, 3, 15, 13}, // the case body
		{17, 2, 17, 12}, // the final return
	}
	want := []block{
		{3, 1, 3, 21},   // const limit = 10 * 2
		{14, 2, 14, 16}, // case x > limit:
		{10, 3, 10, 17}, // }); err != nil
	}
	if diff := cmp.Diff(want, addedBlocks(file, covered), cmp.AllowUnexported(block{})); diff != "" {
		t.Errorf("added blocks (-want +got):\n%s", diff)
	}
}
