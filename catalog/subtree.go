package catalog

import (
	"sort"
	"strings"
)

// Subtree returns the users that root created, directly or through users it created, in
// order of email; root itself is not included. Emails compare without case. This is the
// rule of who a supervisor may disable, on the kiosk and at the hub's ingest.
func Subtree(users []User, root string) []User {
	children := map[string][]User{}
	for _, u := range users {
		if u.CreatedBy != "" {
			c := strings.ToLower(u.CreatedBy)
			children[c] = append(children[c], u)
		}
	}
	var out []User
	seen := map[string]bool{strings.ToLower(root): true}
	queue := []string{strings.ToLower(root)}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, c := range children[cur] {
			key := strings.ToLower(c.Email)
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, c)
			queue = append(queue, key)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out
}
