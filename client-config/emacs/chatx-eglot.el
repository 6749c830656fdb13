;;; chatx-eglot.el --- ChatX through eglot  -*- lexical-binding: t; -*-

;; Load with (load "/path/to/client-config/emacs/chatx-eglot.el") and run M-x eglot
;; in a file of the workspace; hover shows in eldoc, /related and /cite under
;; M-x eglot-code-actions, completion through completion-at-point.

;;; Code:

(require 'eglot)

(defgroup chatx nil "ChatX language server." :group 'tools)

(defcustom chatx-server-command '("chatx" "serve")
  "Command that starts the ChatX language server over stdio."
  :type '(repeat string))

(defcustom chatx-settings '(:hoverResults 3 :hoverMinSimilarity 0.3)
  "ChatX settings (keys as in docs/configuration.md), sent at start and on change."
  :type 'plist)

(dolist (mode '(markdown-mode text-mode rst-mode python-mode prog-mode))
  (add-to-list 'eglot-server-programs
               `(,mode . ,(lambda (&rest _)
                            (append chatx-server-command
                                    (list :initializationOptions chatx-settings))))))

(setq-default eglot-workspace-configuration
              (plist-put (default-value 'eglot-workspace-configuration)
                         :chatx chatx-settings))

(provide 'chatx-eglot)
;;; chatx-eglot.el ends here
