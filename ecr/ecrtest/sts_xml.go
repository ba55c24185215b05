// The STS Query protocol's XML answers: result and error documents.

package ecrtest

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// --- XML ------------------------------------------------------------------------

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type getCallerIdentityResponse struct {
	XMLName  xml.Name             `xml:"GetCallerIdentityResponse"`
	Xmlns    string               `xml:"xmlns,attr"`
	Result   callerIdentityResult `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata     `xml:"ResponseMetadata"`
}

type assumeRoleResponse struct {
	XMLName  xml.Name         `xml:"AssumeRoleResponse"`
	Xmlns    string           `xml:"xmlns,attr"`
	Result   assumeRoleResult `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message,omitempty"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// writeSTSResult writes a success document; truncated cuts it in half
// (FaultMalformedJSON).
func writeSTSResult(w http.ResponseWriter, reqID string, doc any, truncated bool) {
	b, err := xml.Marshal(doc)
	if err != nil {
		writeSTSError(w, reqID, &stsError{http.StatusInternalServerError, "InternalFailure", err.Error()})
		return
	}
	if truncated {
		b = b[:len(b)/2]
	}
	writeXML(w, http.StatusOK, b)
}

func writeSTSError(w http.ResponseWriter, reqID string, e *stsError) {
	var doc errorResponse
	doc.Xmlns = STSNamespace
	doc.Error.Type = "Sender"
	if e.status >= 500 {
		doc.Error.Type = "Receiver"
	}
	doc.Error.Code, doc.Error.Message = e.code, e.msg
	doc.RequestID = reqID
	b, _ := xml.Marshal(doc)
	writeXML(w, e.status, b)
}

func writeXML(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", STSContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
