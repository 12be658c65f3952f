// Copyright 2015-2017 Piprate Limited
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package ld

import "errors"

// RemoteDocument is a document retrieved from a remote source.
type RemoteDocument struct {
	DocumentURL string
	Document    interface{}
	ContextURL  string
}

// DocumentLoader knows how to load remote documents.
type DocumentLoader interface {
	LoadDocument(u string) (*RemoteDocument, error)
}

// TrustCred change: upstream's HTTP document loaders (DefaultDocumentLoader,
// CachingDocumentLoader, RFC7324CachingDocumentLoader) are left out, so that
// this package cannot fetch anything; the default loader refuses every URL.
// internal/vc passes its OfflineLoader.

// ErrNoDocumentLoader is the error of the default document loader.
var ErrNoDocumentLoader = errors.New("no document loader: remote documents are never fetched")

type noDocumentLoader struct{}

func (noDocumentLoader) LoadDocument(u string) (*RemoteDocument, error) {
	return nil, NewJsonLdError(LoadingDocumentFailed, ErrNoDocumentLoader)
}
