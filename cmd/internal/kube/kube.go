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

// Package kube builds what both binaries need from Kubernetes: the client configuration, the
// clientsets and the one event recorder of the process.
package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/klog/v2"

	natsv1alpha1 "github.com/natsauth/nats-auth-operator/apis/natsauth/v1alpha1"

	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsscheme "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/scheme"
	natsauthv1alpha1 "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/typed/natsauth/v1alpha1"
	"github.com/natsauth/nats-auth-operator/internal/tolerantlist"
)

// RestConfig returns base (tests) or the kubeconfig/in-cluster configuration, with the user agent
// and one token-bucket limiter that every client built from it shares, so qps/burst bound the
// whole process rather than each clientset.
func RestConfig(base *rest.Config, master, kubeconfig string, qps float32, burst int, userAgent string) (*rest.Config, error) {
	cfg := base
	if cfg == nil {
		var err error
		cfg, err = clientcmd.BuildConfigFromFlags(master, kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("kubernetes client configuration: %w", err)
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = qps, burst
	cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(qps, burst)
	cfg.UserAgent = userAgent
	return cfg, nil
}

// Protobuf returns a copy of cfg that talks protobuf, for clientsets of built-in kinds
// (Secrets, Events, Leases): cheaper to encode and decode than JSON on both ends. Custom
// resources have no protobuf form, so their clientset keeps cfg. The copy shares cfg's rate
// limiter.
func Protobuf(cfg *rest.Config) *rest.Config {
	pb := rest.CopyConfig(cfg)
	pb.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	pb.ContentType = "application/vnd.kubernetes.protobuf"
	return pb
}

// Clients builds the Kubernetes clientset (talking protobuf when asked, see Protobuf) and the
// natsauth clientset from cfg; both share cfg's rate limiter.
func Clients(cfg *rest.Config, protobuf bool) (kubernetes.Interface, natsclientset.Interface, error) {
	kubeCfg := cfg
	if protobuf {
		kubeCfg = Protobuf(cfg)
	}
	kubeClient, err := kubernetes.NewForConfig(kubeCfg)
	if err != nil {
		return nil, nil, fmt.Errorf("kubernetes client: %w", err)
	}
	natsClient, err := natsclientset.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("natsauth client: %w", err)
	}
	return kubeClient, natsClient, nil
}

// EventRecorder starts the process's event broadcaster and returns a recorder for component and
// the broadcaster's shutdown. It uses a scheme of its own: adding our types to client-go's global
// scheme would race with every other user of it in the process (tests run both binaries at once).
func EventRecorder(ctx context.Context, client kubernetes.Interface, component string) (record.EventRecorder, func(), error) {
	eventScheme := runtime.NewScheme()
	if err := scheme.AddToScheme(eventScheme); err != nil {
		return nil, nil, err
	}
	if err := natsscheme.AddToScheme(eventScheme); err != nil {
		return nil, nil, err
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartStructuredLogging(3)
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	return broadcaster.NewRecorder(eventScheme, corev1.EventSource{Component: component}), broadcaster.Shutdown, nil
}

// TolerantNatsClient is a natsauth clientset for informers only: a list that meets a stored object
// its Go type cannot decode (one an earlier, looser schema admitted) drops that object instead of
// failing, so the other objects of the kind are still reconciled. Each dropped object is logged and
// gets a Warning event. It shares cfg's rate limiter.
func TolerantNatsClient(cfg *rest.Config, logger klog.Logger, recorder record.EventRecorder) (natsclientset.Interface, error) {
	c := rest.CopyConfig(cfg)
	gv := natsv1alpha1.SchemeGroupVersion
	c.GroupVersion, c.APIPath = &gv, "/apis"
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	skipped := func(kind string, name types.NamespacedName, uid types.UID, err error) {
		logger.Error(err, "Skipping an object that cannot be decoded; correct or delete it", "kind", kind, "object", klog.KRef(name.Namespace, name.Name))
		if recorder != nil {
			ref := &corev1.ObjectReference{APIVersion: gv.String(), Kind: kind, Namespace: name.Namespace, Name: name.Name, UID: uid}
			recorder.Eventf(ref, corev1.EventTypeWarning, "Undecodable", "this object is ignored until it is corrected or deleted: %v", err)
		}
	}
	c.NegotiatedSerializer = tolerantlist.NegotiatedSerializer(
		rest.CodecFactoryForGeneratedClient(natsscheme.Scheme, natsscheme.Codecs).WithoutConversion(), skipped)
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("natsauth informer client: %w", err)
	}
	return tolerantClientset{typed: natsauthv1alpha1.New(rc)}, nil
}

// tolerantClientset serves the typed group only; informers need no discovery.
type tolerantClientset struct {
	typed *natsauthv1alpha1.NatsauthV1alpha1Client
}

func (c tolerantClientset) Discovery() discovery.DiscoveryInterfaces { return nil }

func (c tolerantClientset) NatsauthV1alpha1() natsauthv1alpha1.NatsauthV1alpha1Interface {
	return c.typed
}
