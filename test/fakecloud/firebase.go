package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

func firebase(st *State, c call) {
	switch {
	case c.is("projects:list"):
		var ps []map[string]string
		if st.Firebase {
			ps = append(ps, map[string]string{"projectId": st.Project, "projectNumber": st.Number})
		}
		b, _ := json.MarshalIndent(map[string]any{"status": "success", "result": ps}, "", "  ")
		fmt.Println(string(b))
	case c.is("projects:addfirebase"):
		st.project(c.arg(1))
		if st.Firebase {
			exists("Firebase project " + c.arg(1))
		}
		st.Firebase = true
	case c.is("hosting:channel:list"):
		st.project(c.flag("--project"))
		if !st.Firebase {
			notFound("project " + st.Project + " (Firebase is not added)")
		}
		var channels []map[string]any
		if st.Hosting != nil {
			channels = append(channels, map[string]any{"name": "sites/" + st.Project + "/channels/live",
				"release": map[string]any{"message": st.Hosting.Message}})
		}
		b, _ := json.MarshalIndent(map[string]any{"status": "success", "result": map[string]any{"channels": channels}}, "", "  ")
		fmt.Println(string(b))
	case c.is("deploy"):
		st.project(c.flag("--project"))
		st.firebaseDeploy(c)
	default:
		fail("the stand-in does not know this command: %s", strings.Join(c.pos, " "))
	}
}

// firebaseDeploy reads firebase.json and firestore.indexes.json from the
// working directory, as firebase-tools does.
func (st *State) firebaseDeploy(c call) {
	if !st.Firebase {
		fail("Failed to get Firebase project %s. Please make sure the project exists and your account has permission to access it.", st.Project)
	}
	only := strings.Split(c.flag("--only"), ",")
	b, err := os.ReadFile("firebase.json")
	if err != nil {
		fail("Not in a Firebase app directory (could not locate firebase.json)")
	}
	var cfg struct {
		Hosting struct {
			Rewrites []struct {
				Source string `json:"source"`
				Run    *struct {
					ServiceID string `json:"serviceId"`
					Region    string `json:"region"`
					PinTag    bool   `json:"pinTag"`
				} `json:"run"`
			} `json:"rewrites"`
		} `json:"hosting"`
		Auth struct {
			Providers struct {
				Anonymous bool `json:"anonymous"`
			} `json:"providers"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		fail("firebase.json: %v", err)
	}
	if slices.Contains(only, "firestore:indexes") {
		st.need("firestore.googleapis.com")
		if !st.Database {
			fail("Firestore database (default) does not exist")
		}
		b, err := os.ReadFile("firestore.indexes.json")
		if err != nil {
			fail("firestore.indexes.json: %v", err)
		}
		var idx struct {
			FieldOverrides []struct {
				CollectionGroup string `json:"collectionGroup"`
				FieldPath       string `json:"fieldPath"`
				TTL             *bool  `json:"ttl"`
				Indexes         []any  `json:"indexes"`
			} `json:"fieldOverrides"`
		}
		if err := json.Unmarshal(b, &idx); err != nil {
			fail("firestore.indexes.json: %v", err)
		}
		// lib/firestore/api.js: fields present in the project and absent
		// from the file are deleted (with --force) or offered for deletion;
		// validateField needs collectionGroup, fieldPath and indexes, and a
		// boolean ttl; patchField sets ttlConfig when ttl is true.
		declared := map[string]bool{}
		for _, f := range idx.FieldOverrides {
			if f.CollectionGroup == "" || f.FieldPath == "" || f.Indexes == nil {
				fail("field override must have collectionGroup, fieldPath and indexes")
			}
			key := f.CollectionGroup + "/" + f.FieldPath
			declared[key] = true
			if f.TTL != nil {
				st.TTL[key] = *f.TTL
			}
		}
		for key, on := range st.TTL {
			if on && !declared[key] && !c.has("--non-interactive") {
				fail("field override %s is not in firestore.indexes.json: delete it? (a prompt)", key)
			}
		}
	}
	if slices.Contains(only, "auth") && cfg.Auth.Providers.Anonymous {
		st.need("identitytoolkit.googleapis.com")
		st.Anonymous = true
	}
	if !slices.Contains(only, "hosting") {
		return
	}
	version := 1
	if st.Hosting != nil {
		version = st.Hosting.Version + 1
	}
	h := &Hosting{Version: version, Message: c.flag("-m")}
	for _, r := range cfg.Hosting.Rewrites {
		if r.Run == nil {
			continue
		}
		rw := Rewrite{Source: r.Source, Service: r.Run.ServiceID, Region: r.Run.Region}
		if r.Run.PinTag {
			// runTags.js ensureLatestRevisionTagged: the latest ready
			// revision keeps a tag it has, else gets fh-VERSION.
			s := st.Services[r.Run.ServiceID]
			if s == nil {
				fail("Assertion failed: service %s has no ready revision", r.Run.ServiceID)
			}
			latest := s.Revisions[len(s.Revisions)-1]
			i := slices.IndexFunc(s.Traffic, func(t Target) bool { return t.Revision == latest && t.Tag != "" })
			if i >= 0 {
				rw.Tag = s.Traffic[i].Tag
			} else {
				rw.Tag = fmt.Sprintf("fh-%d", version)
				s.Traffic = append(s.Traffic, Target{Revision: latest, Tag: rw.Tag})
			}
		}
		h.Rewrites = append(h.Rewrites, rw)
	}
	st.Hosting = h
}
