package cli

import (
	"fmt"
	"strings"

	"github.com/ecr-login/ecr-login/cmd/internal/proto"
	"github.com/ecr-login/ecr-login/ecr"
)

// tokenAttributes is the provider's tokenAttributes block for per-pod
// identities (kubelet.config.k8s.io/v1, Kubernetes 1.34+). Credentials depend
// only on the service account (role + subject), so kubelet may cache them
// per service account; pods without one (static pods) still get the node's.
const tokenAttributes = `    # Per-pod identities (Kubernetes 1.34+): kubelet passes the pod's service
    # account token and these annotations; a pod whose service account has
    # eks.amazonaws.com/ecr-role-arn pulls as that role (the role's trust policy
    # must allow the service account). Kubelet needs RBAC to request tokens for
    # the audience: see the README, "Per-pod identities".
    tokenAttributes:
      serviceAccountTokenAudience: ` + ServiceAccountTokenAudience + `
      cacheType: ServiceAccount
      requireServiceAccount: false
      optionalServiceAccountAnnotationKeys:
        - "` + AnnotationECRRole + `"
        - "` + AnnotationIRSARole + `" # used only with AWS_ECR_ACCEPT_IRSA_ANNOTATION=true
`

// withTokenAttributes inserts tokenAttributes into the provider entry of a
// kubeletConfig, before its trailing env: comment (so an env: list appended
// at the end still belongs to the provider).
func withTokenAttributes(cfg string) string {
	const at = "    # env:\n"
	i := strings.LastIndex(cfg, at)
	if i < 0 {
		return cfg + tokenAttributes
	}
	return cfg[:i] + tokenAttributes + cfg[i:]
}

// describePodMode is doctor's note on per-pod identities.
func describePodMode(env ecr.Getenv) string {
	def := "none: pods whose service account names no role pull as the node (the identity checked above)"
	if r := strings.TrimSpace(env(EnvECRRoleARN)); r != "" {
		def = r + " (" + EnvECRRoleARN + ") for pods whose service account names none"
	}
	irsa, err := proto.BoolSetting(env, EnvAcceptIRSAAnnotation)
	irsaNote := "no"
	switch {
	case err != nil:
		irsaNote = err.Error()
	case irsa:
		irsaNote = "yes"
	}
	return fmt.Sprintf("- kubelet per-pod identities (%s, Kubernetes 1.34+): with tokenAttributes "+
		"(`%s configure kubelet --service-account-tokens`) a pod whose service account has annotation %s "+
		"pulls as that role via STS AssumeRoleWithWebIdentity, never as the node if STS refuses; default role: %s; "+
		"annotation %s accepted (%s): %s. This check uses the node's identity only.",
		ProviderName, DockerHelperName, AnnotationECRRole, def, AnnotationIRSARole, EnvAcceptIRSAAnnotation, irsaNote)
}
