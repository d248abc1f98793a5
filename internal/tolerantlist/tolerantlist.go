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

// Package tolerantlist lets an informer survive a stored object that its Go type cannot decode.
// A typed list fails as a whole on one such object (for example a duration the schema of an
// earlier release admitted), and a failing list stops reconciliation of every object of the kind.
// The decoders here fall back to decoding a failed list item by item and report the items they
// drop, so everything else is still listed. An undecodable watch event still ends its watch; the
// reflector then lists again, through this decoder.
package tolerantlist

import (
	"encoding/json"
	"reflect"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Skipped is told about every list item that was dropped: its kind, name and UID as the raw
// object says, and the decode error.
type Skipped func(kind string, name types.NamespacedName, uid types.UID, err error)

// NegotiatedSerializer wraps ns so that every decoder it gives out decodes lists tolerantly.
func NegotiatedSerializer(ns runtime.NegotiatedSerializer, skipped Skipped) runtime.NegotiatedSerializer {
	return negotiated{NegotiatedSerializer: ns, skipped: skipped}
}

type negotiated struct {
	runtime.NegotiatedSerializer
	skipped Skipped
}

func (n negotiated) DecoderToVersion(d runtime.Decoder, gv runtime.GroupVersioner) runtime.Decoder {
	return decoder{Decoder: n.NegotiatedSerializer.DecoderToVersion(d, gv), skipped: n.skipped}
}

type decoder struct {
	runtime.Decoder
	skipped Skipped
}

// rawList is a list response with its items left undecoded.
type rawList struct {
	Metadata metav1.ListMeta   `json:"metadata"`
	Items    []json.RawMessage `json:"items"`
}

// rawMeta is what names a dropped item.
type rawMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Namespace string    `json:"namespace"`
		Name      string    `json:"name"`
		UID       types.UID `json:"uid"`
	} `json:"metadata"`
}

// Decode decodes data as usual; only when a list into fails does it decode item by item.
func (d decoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := d.Decoder.Decode(data, defaults, into)
	if err == nil || into == nil || !meta.IsListType(into) {
		return obj, gvk, err
	}
	var raw rawList
	if json.Unmarshal(data, &raw) != nil {
		return obj, gvk, err
	}
	itemType, ierr := itemTypeOf(into)
	if ierr != nil {
		return obj, gvk, err
	}
	items := make([]runtime.Object, 0, len(raw.Items))
	for _, data := range raw.Items {
		item := reflect.New(itemType).Interface().(runtime.Object)
		if _, _, ierr := d.Decoder.Decode(data, nil, item); ierr != nil {
			d.report(data, ierr)
			continue
		}
		items = append(items, item)
	}
	if err := meta.SetList(into, items); err != nil {
		return obj, gvk, err
	}
	list, lerr := meta.ListAccessor(into)
	if lerr != nil {
		return obj, gvk, err
	}
	list.SetResourceVersion(raw.Metadata.ResourceVersion)
	list.SetContinue(raw.Metadata.Continue)
	list.SetRemainingItemCount(raw.Metadata.RemainingItemCount)
	return into, gvk, nil
}

func (d decoder) report(data []byte, err error) {
	if d.skipped == nil {
		return
	}
	var m rawMeta
	_ = json.Unmarshal(data, &m)
	d.skipped(m.Kind, types.NamespacedName{Namespace: m.Metadata.Namespace, Name: m.Metadata.Name}, m.Metadata.UID, err)
}

// itemTypeOf is the element type of list's Items field (a struct such as NatsUser).
func itemTypeOf(list runtime.Object) (reflect.Type, error) {
	items, err := meta.GetItemsPtr(list)
	if err != nil {
		return nil, err
	}
	t := reflect.TypeOf(items).Elem().Elem() // *[]T -> T
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t, nil
}
