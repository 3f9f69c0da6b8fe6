//! What an operation does (its kind) and where it is (its step), as enums: the reconciler
//! dispatches on them and an operation row stores their names.

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

named_enum!(
    /// The long-running work the sandbox does for a request.
    OperationKind {
        CreateCluster => "create_cluster",
        UpgradeCluster => "upgrade_cluster",
        DeleteCluster => "delete_cluster",
        ScalePool => "scale_pool",
        UpgradePool => "upgrade_pool",
        DeletePool => "delete_pool",
        ReplaceNode => "replace_node",
        RebootNode => "reboot_node",
        DeleteNode => "delete_node",
        RestoreCluster => "restore_cluster",
    }
);

named_enum!(
    /// Where an operation stands; each kind uses some of these, starting at `Start`.
    Step {
        Start => "start",
        ControlPlane => "control_plane",
        WaitNodes => "wait_nodes",
        Settle => "settle",
        Wave => "wave",
        Retire => "retire",
        WaitReplacement => "wait_replacement",
        WaitOldGone => "wait_old_gone",
        Wait => "wait",
        SystemApps => "system_apps",
        ControlPlaneConfig => "control_plane_config",
        Etcd => "etcd",
        Done => "done",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in [OperationKind::CreateCluster, OperationKind::DeleteNode] {
            assert_eq!(OperationKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Step::parse("retire"), Some(Step::Retire));
        assert_eq!(OperationKind::parse("no_such_kind"), None);
    }
}
