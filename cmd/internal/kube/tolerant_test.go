/*
Copyright 2026 The nats-auth-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package kube

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
	natsscheme "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/scheme"
	"github.com/natsauth/nats-auth-operator/internal/tolerantlist"
)

// TestTolerantListDecoding: a list with one item whose duration does not parse decodes to the
// other items, with the list's resourceVersion, and the dropped item is reported by name; a
// single undecodable object is still an error.
func TestTolerantListDecoding(t *testing.T) {
	var dropped []types.NamespacedName
	ns := tolerantlist.NegotiatedSerializer(rest.CodecFactoryForGeneratedClient(natsscheme.Scheme, natsscheme.Codecs).WithoutConversion(),
		func(_ string, name types.NamespacedName, _ types.UID, _ error) { dropped = append(dropped, name) })
	info, ok := runtime.SerializerInfoForMediaType(ns.SupportedMediaTypes(), runtime.ContentTypeJSON)
	if !ok {
		t.Fatal("no JSON serializer")
	}
	dec := ns.DecoderToVersion(info.Serializer, natsv1alpha1.SchemeGroupVersion)
	item := func(name, ttl string) string {
		return `{"apiVersion":"natsauth.io/v1alpha1","kind":"NatsUser","metadata":{"namespace":"a","name":"` + name +
			`"},"spec":{"accountRef":{"name":"x"},"permissions":{"resp":{"ttl":"` + ttl + `"}}}}`
	}
	list := `{"apiVersion":"natsauth.io/v1alpha1","kind":"NatsUserList","metadata":{"resourceVersion":"42"},"items":[` +
		item("good", "5s") + `,` + item("bad", "banana") + `,` + item("also-good", "1m") + `]}`
	into := &natsv1alpha1.NatsUserList{}
	if _, _, err := dec.Decode([]byte(list), nil, into); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(into.Items) != 2 || into.Items[0].Name != "good" || into.Items[1].Name != "also-good" || into.ResourceVersion != "42" {
		t.Errorf("decoded %d items (%+v), resourceVersion %q", len(into.Items), into.Items, into.ResourceVersion)
	}
	if len(dropped) != 1 || dropped[0] != (types.NamespacedName{Namespace: "a", Name: "bad"}) {
		t.Errorf("dropped %v, want a/bad", dropped)
	}
	if _, _, err := dec.Decode([]byte(item("bad", "banana")), nil, &natsv1alpha1.NatsUser{}); err == nil {
		t.Error("a single undecodable object decoded without error")
	}
}
