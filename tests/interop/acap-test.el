;;; acap-test.el --- drive acapd with Wanderlust's acap.el  -*- lexical-binding: t -*-
;;
;; Run as: emacs --batch -l acap-test.el -f acap-test-main TEST...
;; Environment: ACAPD_PORT, ACAP_USER, ACAP_PASS.  Each TEST is the name
;; of a function below without the "acap-test-" prefix.  Every call's
;; parsed result is checked, not only that it returned.  Exit status 0
;; when every check held.

(setq load-path (append '("/usr/share/emacs/site-lisp/apel"
			  "/usr/share/emacs/site-lisp/flim"
			  "/usr/share/emacs/site-lisp/wl")
			load-path))

;; Current APEL lacks open-network-stream-as-binary, which acap.el calls.
(unless (fboundp 'open-network-stream-as-binary)
  (defun open-network-stream-as-binary (name buffer host service)
    (let ((p (open-network-stream name buffer host service)))
      (set-process-coding-system p 'binary 'binary)
      p)))

(require 'sasl)
(require (quote acap))

(defvar acap-test-failures 0)
(defvar acap-test-port (string-to-number (or (getenv "ACAPD_PORT") "674")))
(defvar acap-test-user (or (getenv "ACAP_USER") "fred"))
(defvar acap-test-pass (or (getenv "ACAP_PASS") "secret"))

;; Non-interactive password hook: acap.el would prompt on the terminal.
;; sasl.el wipes the string it is given after use: hand out a copy.
(defun acap-read-passphrase (_prompt) (copy-sequence acap-test-pass))

(defun acap-test-check (what ok &optional detail)
  (if ok
      (princ (format "ok: %s\n" what))
    (setq acap-test-failures (1+ acap-test-failures))
    (princ (format "FAIL: %s %S\n" what detail))))

(defun acap-test-open (mech)
  (let ((p (acap-open "127.0.0.1" acap-test-user mech acap-test-port)))
    (acap-test-check (format "%s login" mech)
		     (and p (with-current-buffer (process-buffer p)
			      (eq acap-state 'auth))))
    p))

(defun acap-test-kill-buffer ()
  ;; acap.el reuses one buffer per user@server; a previous session's
  ;; trailing output would hide the next greeting, so start clean.
  (let ((b (get-buffer (concat " *acap on " acap-test-user " at 127.0.0.1"))))
    (when b (kill-buffer b))))

(defun acap-test-logout (p)
  (acap-test-check "LOGOUT" (acap-close p))
  (acap-test-kill-buffer))

(defun acap-test-login (mech)
  (let ((p (acap-test-open mech)))
    (when p
      (let ((r (acap-noop p)))
	(acap-test-check (format "%s NOOP" mech) (acap-response-ok-p r) r))
      (acap-test-logout p))))

(defun acap-test-plain () (acap-test-login "PLAIN"))
(defun acap-test-cram-md5 () (acap-test-login "CRAM-MD5"))
(defun acap-test-digest-md5 () (acap-test-login "DIGEST-MD5"))

(defun acap-test-wrong-password ()
  (let* ((acap-test-pass "not-the-password")
	 (p (acap-open "127.0.0.1" acap-test-user "CRAM-MD5" acap-test-port)))
    (acap-test-check "wrong password refused"
		     (or (null p)
			 (not (with-current-buffer (process-buffer p)
				(eq acap-state 'auth)))))
    (when (and p (process-live-p p)) (delete-process p))
    (acap-test-kill-buffer)))

(defun acap-test-lang ()
  (let* ((p (acap-test-open "CRAM-MD5"))
	 (r (acap-lang p '("tlh"))))
    (acap-test-check "LANG unknown is NO" (assq 'done-no r) r)
    ;; acapd sends the LANG intermediate response tagged (RFC 2244 §6.2.2
    ;; prose and example); acap.el only parses the untagged form of the
    ;; ABNF and fails in its process filter on the tagged one
    ;; (doc/interop.md).  Check that exchange on the wire instead, with
    ;; acap.el's filter set aside for the one command.
    (let ((filter (process-filter p)) (got ""))
      (set-process-filter p (lambda (_p s) (setq got (concat got s))))
      (process-send-string p "L1 LANG \"fr\" \"en\"\r\n")
      (while (and (not (string-match "^L1 OK " got))
		  (accept-process-output p 2)))
      (set-process-filter p filter)
      (acap-test-check "LANG en answered with a tagged LANG and OK"
		       (string-match
			"^L1 LANG \"en\" \"i;octet\".*\r\nL1 OK \"" got)
		       got))
    (acap-test-logout p)))

(defun acap-test-main ()
  (let ((tests command-line-args-left))
    (setq command-line-args-left nil)
    (dolist (name tests)
      (condition-case err
	  (funcall (intern (concat "acap-test-" name)))
	(error
	 (setq acap-test-failures (1+ acap-test-failures))
	 (princ (format "FAIL: %s signalled %S\n" name err)))))
    (princ (format "%d failure(s)\n" acap-test-failures))
    (kill-emacs (if (zerop acap-test-failures) 0 1))))
