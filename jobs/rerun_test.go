package jobs_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/jobs"
)

// TestRerun: asking again for an archived (failed) run starts a new run of
// the same request, with the same payload (credentials sealed again, the
// new run's own request_id), and a rerun while that run is pending joins it.
func TestRerun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	ctx := context.Background()
	first := e.addPhone(t, addPhoneReq())
	if err := e.insp.ArchiveTask(first.Queue, first.ID); err != nil {
		t.Fatalf("ArchiveTask: %v", err)
	}
	again, err := e.client.Rerun(ctx, first.ID)
	if err != nil {
		t.Fatalf("Rerun: %v", err)
	}
	assertRun(t, again)
	if again.ID == first.ID || again.Request != first.Request || again.Existing {
		t.Errorf("Rerun = %+v, want a new run of request %s", again, first.Request)
	}
	p1, p2 := e.addPhonePayload(t, first), e.addPhonePayload(t, again)
	creds, err := e.keys.OpenCredentials(p2.Credentials)
	if err != nil || creds != addPhoneReq().Credentials {
		t.Errorf("new run's credentials open to %+v, %v; want the first request's", creds, err)
	}
	p1.Credentials, p1.RequestID = p2.Credentials, again.ID
	if p1 != p2 {
		t.Errorf("new run's payload %+v, want the first run's %+v", p2, p1)
	}
	if joined, err := e.client.Rerun(ctx, first.ID); err != nil || joined.ID != again.ID || !joined.Existing {
		t.Errorf("Rerun while the new run is pending = %+v, %v; want to join %s", joined, err, again.ID)
	}
}

func TestRerunAttachAndUnlink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	ctx := context.Background()
	attach, err := e.client.Attach(ctx, jobs.Attach{OrgID: 1, TargetID: "app_1", Numbers: []string{"+12125551234"}})
	if err != nil {
		t.Fatal(err)
	}
	unlink, err := e.client.Unlink(ctx, jobs.Unlink{OrgID: 1, TargetID: "app_1", Number: "+12125551234"})
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range []jobs.Job{attach, unlink} {
		if err := e.insp.ArchiveTask(job.Queue, job.ID); err != nil {
			t.Fatalf("ArchiveTask: %v", err)
		}
		again, err := e.client.Rerun(ctx, job.ID)
		if err != nil || again.Request != job.Request || again.ID == job.ID || again.Type != job.Type {
			t.Errorf("Rerun(%s) = %+v, %v; want a new run of the same request", job.ID, again, err)
		}
	}
}

func TestRerunWithoutPayload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jobs.Options{})
	first := e.addPhone(t, addPhoneReq())
	if err := e.insp.DeleteTask(first.Queue, first.ID); err != nil {
		t.Fatalf("DeleteTask: %v", err)
	}
	if _, err := e.client.Rerun(context.Background(), first.ID); !errors.Is(err, jobs.ErrNoPayload) {
		t.Errorf("Rerun of a deleted task: %v, want ErrNoPayload", err)
	}
	if n := e.taskCount(t, jobs.QueueCritical); n != 0 {
		t.Errorf("critical queue holds %d tasks, want none", n)
	}
}
