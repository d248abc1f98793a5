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
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/flowcontrol"

	natsclientset "github.com/natsauth/nats-auth-operator/generated/clientset/versioned"
	natsscheme "github.com/natsauth/nats-auth-operator/generated/clientset/versioned/scheme"
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
