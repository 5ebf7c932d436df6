package jobs_test

import (
	"context"
	"fmt"
	"log"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/switchboardhq/switchboard/jobs"
)

// A web app enqueues an add-phone job on the Redis the switchboard workers
// consume. The credentials are sealed before they reach Redis, and asking
// again while the job is pending returns the same job. Once a job has
// finished, asking again starts a new run of the request, with its own id.
func ExampleClient_AddPhone() {
	// In production the key ring comes from SWITCHBOARD_SECRET_KEY, shared
	// with the workers (jobs.GenerateKey makes one).
	keys, err := jobs.ParseKeyRing("k20250101:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	if err != nil {
		log.Fatal(err)
	}

	// An in-process Redis keeps the example self-contained.
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	defer mr.Close()
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer rdb.Close()

	client := jobs.NewClient(rdb, keys, jobs.Options{})
	defer client.Close()

	req := jobs.AddPhoneRequest{
		OrgID:       1,
		UserID:      "64e5f12345abcdef12345678",
		PhoneNumber: "+12125551234",
		Provider:    jobs.ProviderTwilio,
		Credentials: jobs.Credentials{AccountID: "AC0123456789abcdef", Secret: "your-auth-token"},
	}
	ctx := context.Background()
	job, err := client.AddPhone(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.Type, job.Queue, job.Existing)

	// A double-submitted form finds the pending job.
	again, err := client.AddPhone(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.ID == job.ID, again.Existing)

	// The job id is "<request key>.<run>"; every run of the request shares
	// the request key.
	fmt.Println(jobs.RequestOf(job.ID) == job.Request)

	// Credentials print redacted.
	fmt.Println(req.Credentials)

	// Output:
	// number:add critical false
	// true true
	// true
	// {AccountID:AC0123456789abcdef Secret:[redacted]}
}
