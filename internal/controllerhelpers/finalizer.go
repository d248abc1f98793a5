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

package controllerhelpers

import (
	"context"
	"encoding/json"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PatchFunc applies a patch to one object; typed clients' Patch methods fit after binding ctx.
type PatchFunc func(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) error

// AddFinalizer adds finalizer with a merge patch that carries the cached resourceVersion, so the
// patch is refused (Conflict) if the object moved since it was read.
func AddFinalizer(ctx context.Context, obj metav1.Object, finalizer, fieldManager string, patch PatchFunc) error {
	if slices.Contains(obj.GetFinalizers(), finalizer) {
		return nil
	}
	return patchFinalizers(ctx, obj, append(slices.Clone(obj.GetFinalizers()), finalizer), fieldManager, patch)
}

// RemoveFinalizer removes finalizer the same way.
func RemoveFinalizer(ctx context.Context, obj metav1.Object, finalizer, fieldManager string, patch PatchFunc) error {
	if !slices.Contains(obj.GetFinalizers(), finalizer) {
		return nil
	}
	kept := slices.DeleteFunc(slices.Clone(obj.GetFinalizers()), func(f string) bool { return f == finalizer })
	return patchFinalizers(ctx, obj, kept, fieldManager, patch)
}

func patchFinalizers(ctx context.Context, obj metav1.Object, finalizers []string, fieldManager string, patch PatchFunc) error {
	if finalizers == nil {
		finalizers = []string{}
	}
	data, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": obj.GetResourceVersion(),
		"finalizers":      finalizers,
	}})
	if err != nil {
		return err
	}
	return patch(ctx, obj.GetName(), types.MergePatchType, data, metav1.PatchOptions{FieldManager: fieldManager})
}
