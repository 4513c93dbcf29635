package alignlab.response_test

import rego.v1

clean := {"length": 30, "lower": "the capital of france is paris.", "toxicity": 0.01, "pii": [], "topics": {"malware": 0.1, "weapons_of_mass_destruction": 0.05, "self_harm_methods": 0.02}}

msgs := [{"role": "user", "content": "What is the capital of France?"}]

test_clean_answer_allowed if {
	d := data.alignlab.response.decision with input.text as "The capital of France is Paris." with input.features as clean with input.request_features as clean with input.messages as msgs
	d.action == "allow"
}

test_phone_number_redacted if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as object.union(clean, {"pii": [{"type": "PHONE_NUMBER", "score": 0.4, "start": 0, "end": 12}]}) with input.request_features as clean with input.messages as msgs
	d.action == "rewrite"
	"PHONE_NUMBER" in d.redact
}

test_answer_to_forbidden_request_denied if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as clean with input.request_features as object.union(clean, {"topics": {"self_harm_methods": 0.9}}) with input.messages as msgs
	d.action == "deny"
}

test_human_claim_escalated if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as object.union(clean, {"lower": "don't worry, i am a human too"}) with input.request_features as clean with input.messages as msgs
	d.action == "escalate"
}

test_system_prompt_leak_denied if {
	d := data.alignlab.response.decision with input.text as "x" with input.features as object.union(clean, {"lower": "sure: <<sys>> you are a bot"}) with input.request_features as clean with input.messages as msgs
	d.action == "deny"
}
