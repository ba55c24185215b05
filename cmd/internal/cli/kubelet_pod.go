package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/ecr-login/ecr-login/ecr"
)

// Per-pod identities (Kubernetes 1.34+): kubelet passes the pod's service
// account token and the annotations named in tokenAttributes.
const (
	// AnnotationECRRole names the role a service account pulls images as
	// (as in cloud-provider-aws's ecr-credential-provider).
	AnnotationECRRole = "eks.amazonaws.com/ecr-role-arn"
	// AnnotationIRSARole is the IRSA annotation; used only when
	// EnvAcceptIRSAAnnotation is true.
	AnnotationIRSARole = "eks.amazonaws.com/role-arn"
	// EnvECRRoleARN is the provider's default role for pods whose service
	// account names none (cloud-provider-aws's name).
	EnvECRRoleARN = "AWS_ECR_ROLE_ARN"
	// EnvAcceptIRSAAnnotation=true makes AnnotationIRSARole name the role
	// when AnnotationECRRole is absent.
	EnvAcceptIRSAAnnotation = "AWS_ECR_ACCEPT_IRSA_ANNOTATION"
	// ServiceAccountTokenAudience is the audience STS accepts.
	ServiceAccountTokenAudience = "sts.amazonaws.com"
)

// podIdentity returns the pod's role and token when the request carries a
// service account token and a role is named (annotation, else
// AWS_ECR_ROLE_ARN), nil otherwise: then the node's identity is used,
// exactly as without a token. Errors never quote the token.
func podIdentity(req providerRequest, env ecr.Getenv, logger *slog.Logger) (*ecr.WebIdentity, error) {
	irsa, err := boolSetting(env, EnvAcceptIRSAAnnotation)
	if err != nil {
		return nil, err
	}
	if req.ServiceAccountToken == "" {
		return nil, nil
	}
	role, from := roleFor(req.ServiceAccountAnnotations, env, irsa)
	if role == "" {
		logger.Debug("a service account token was passed but no role is named (annotation " + AnnotationECRRole +
			" or " + EnvECRRoleARN + "): pulling as the node")
		return nil, nil
	}
	pod, err := ecr.NewWebIdentity(role, req.ServiceAccountToken)
	if err != nil {
		return nil, fmt.Errorf("the role from %s: %v", from, err)
	}
	logger.Debug("pulling as the pod's role", "pod", pod, "role_from", from)
	return pod, nil
}

// roleFor picks the role: the ECR annotation (present but empty opts out of
// the default, as in cloud-provider-aws), then the IRSA annotation if
// enabled, then AWS_ECR_ROLE_ARN. from says where it came from.
func roleFor(annotations map[string]string, env ecr.Getenv, irsa bool) (role, from string) {
	if v, ok := annotations[AnnotationECRRole]; ok {
		return strings.TrimSpace(v), "annotation " + AnnotationECRRole
	}
	if v := strings.TrimSpace(annotations[AnnotationIRSARole]); irsa && v != "" {
		return v, "annotation " + AnnotationIRSARole + " (" + EnvAcceptIRSAAnnotation + "=true)"
	}
	return strings.TrimSpace(env(EnvECRRoleARN)), EnvECRRoleARN
}

// boolSetting reads an on/off variable; anything else is an error.
func boolSetting(env ecr.Getenv, name string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(env(name))); v {
	case "", "0", "false", "no", "off":
		return false, nil
	case "1", "true", "yes", "on":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: want true or false", name, env(name))
}

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
	irsa, err := boolSetting(env, EnvAcceptIRSAAnnotation)
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
