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

package naming

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"
)

// Informer indexes the controllers share. They are registered once, on the shared informers,
// before the informers start; handlers use them to find the objects that refer to a changed
// object without scanning every object.
const (
	// AccountsByOperator maps "namespace/operator" to the NatsAccounts signed by that operator.
	AccountsByOperator = "accountsByOperator"
	// AccountsByImportedAccount maps "namespace/account" to the NatsAccounts importing from it.
	AccountsByImportedAccount = "accountsByImportedAccount"
	// UsersByAccount maps "namespace/account" to the NatsUsers of that account.
	UsersByAccount = "usersByAccount"
	// AccountsByPublicKey maps an account public key (status.publicKey) to its NatsAccounts.
	AccountsByPublicKey = "accountsByPublicKey"
	// CredsSecretsByAccountKey maps an account public key to the creds Secrets labelled with it
	// (LabelAccountKey).
	CredsSecretsByAccountKey = "credsSecretsByAccountKey"
)

// Key is the index value of an object reference.
func Key(namespace, name string) string { return namespace + "/" + name }

// UserAccount returns the account a NatsUser refers to, defaulting the namespace to the user's.
func UserAccount(u *natsv1alpha1.NatsUser) cache.ObjectName {
	ns := u.Spec.AccountRef.Namespace
	if ns == "" {
		ns = u.Namespace
	}
	return cache.ObjectName{Namespace: ns, Name: u.Spec.AccountRef.Name}
}

// ImportedAccount returns the account an import refers to by reference, if any.
func ImportedAccount(a *natsv1alpha1.NatsAccount, imp natsv1alpha1.Import) (cache.ObjectName, bool) {
	if imp.AccountRef == nil {
		return cache.ObjectName{}, false
	}
	ns := imp.AccountRef.Namespace
	if ns == "" {
		ns = a.Namespace
	}
	return cache.ObjectName{Namespace: ns, Name: imp.AccountRef.Name}, true
}

// AccountIndexers are the indexes registered on the NatsAccount informer.
func AccountIndexers() cache.Indexers {
	return cache.Indexers{
		AccountsByOperator: func(obj any) ([]string, error) {
			a, ok := obj.(*natsv1alpha1.NatsAccount)
			if !ok {
				return nil, fmt.Errorf("unexpected %T", obj)
			}
			return []string{Key(a.Namespace, a.Spec.OperatorRef.Name)}, nil
		},
		AccountsByImportedAccount: func(obj any) ([]string, error) {
			a, ok := obj.(*natsv1alpha1.NatsAccount)
			if !ok {
				return nil, fmt.Errorf("unexpected %T", obj)
			}
			var keys []string
			for _, imp := range a.Spec.Imports {
				if ref, ok := ImportedAccount(a, imp); ok {
					keys = append(keys, Key(ref.Namespace, ref.Name))
				}
			}
			return keys, nil
		},
		AccountsByPublicKey: func(obj any) ([]string, error) {
			a, ok := obj.(*natsv1alpha1.NatsAccount)
			if !ok {
				return nil, fmt.Errorf("unexpected %T", obj)
			}
			if a.Status.PublicKey == "" {
				return nil, nil
			}
			return []string{a.Status.PublicKey}, nil
		},
	}
}

// SecretIndexers are the indexes registered on the (managed-by selected) Secret informer.
func SecretIndexers() cache.Indexers {
	return cache.Indexers{
		CredsSecretsByAccountKey: func(obj any) ([]string, error) {
			s, ok := obj.(*corev1.Secret)
			if !ok {
				return nil, fmt.Errorf("unexpected %T", obj)
			}
			if key := s.Labels[LabelAccountKey]; key != "" && s.Labels[LabelSecretType] == SecretTypeCreds {
				return []string{key}, nil
			}
			return nil, nil
		},
	}
}

// UserIndexers are the indexes registered on the NatsUser informer.
func UserIndexers() cache.Indexers {
	return cache.Indexers{
		UsersByAccount: func(obj any) ([]string, error) {
			u, ok := obj.(*natsv1alpha1.NatsUser)
			if !ok {
				return nil, fmt.Errorf("unexpected %T", obj)
			}
			ref := UserAccount(u)
			return []string{Key(ref.Namespace, ref.Name)}, nil
		},
	}
}
